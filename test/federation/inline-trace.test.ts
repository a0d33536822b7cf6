// Apollo's federated tracing (ftv1): a real @apollo/gateway that captures traces asks our subgraph
// with `apollo-federation-include-trace: ftv1`, decodes the inline trace itself and puts it in its
// query plan trace, as a router does before reporting usage.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Trace } from '@apollo/usage-reporting-protobuf';
import { type GraphQLObjectType, isObjectType } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SESSION_ID } from '../../src/http/graphiql.js';
import { getSchema } from '../../src/schema/index.js';
import { type Stack, startStack } from '../helpers.js';
import { type FederationGateway, startFederationGateway } from './federation-gateway.js';

type QueryPlanNode = Trace.IQueryPlanNode;
type FetchTrace = NonNullable<NonNullable<QueryPlanNode['fetch']>['trace']>;
type TraceNode = Trace.INode;

let stack: Stack;
let subgraphServer: Server;
let router: FederationGateway;
const plans: QueryPlanNode[] = [];

/** What a router with usage reporting does: it asks every subgraph for traces. */
const captureTraces: ApolloServerPlugin<any> = {
  async requestDidStart(requestContext) {
    requestContext.metrics.captureTraces = true;
    return {
      async willSendResponse(done) {
        if (done.metrics.queryPlanTrace) plans.push(done.metrics.queryPlanTrace);
      },
    };
  },
};

function fetchTraces(
  node: QueryPlanNode | null | undefined,
): { serviceName: string; trace: FetchTrace | null | undefined }[] {
  if (!node) return [];
  if (node.fetch) return [{ serviceName: node.fetch.serviceName ?? '', trace: node.fetch.trace }];
  return [
    ...(node.sequence?.nodes ?? []).flatMap(fetchTraces),
    ...(node.parallel?.nodes ?? []).flatMap(fetchTraces),
    ...fetchTraces(node.flatten?.node),
  ];
}

function responseNames(node: TraceNode | null | undefined): string[] {
  return (node?.child ?? []).flatMap((child) =>
    [child.responseName ?? '', ...responseNames(child)].filter((name) => name !== ''),
  );
}

/** Every field resolver of the served schema, in order. */
const servedResolvers = () =>
  Object.values(getSchema().getTypeMap())
    .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'))
    .flatMap((type) => Object.values(type.getFields()).map((field) => field.resolve));
// Taken before any gateway exists: yoga's inline trace plugin on its own wraps every one of them
// when the gateway is created, so that every operation, traced or not, runs the wrapper.
const resolversBeforeAnyGateway = servedResolvers();

beforeAll(async () => {
  stack = await startStack();
  subgraphServer = createServer(stack.yoga);
  await new Promise<void>((resolve) => subgraphServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(subgraphServer.address() as AddressInfo).port}/graphql`;
  router = await startFederationGateway([{ name: 'athena-sessions', url }], {}, [captureTraces]);
});
afterAll(async () => {
  await router?.stop();
  subgraphServer?.closeAllConnections();
  await new Promise((resolve) => subgraphServer?.close(resolve));
  await stack?.close();
});
beforeEach(() => {
  plans.length = 0;
  stack.athena.faults.clear();
});

describe('ftv1 inline traces for a federation router', () => {
  it("the router receives and decodes a trace of our subgraph's fields, with timings", async () => {
    const result = await router.query(
      `{ sessions(workGroup: "primary", first: 2) { edges { node { sessionId status { state } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(plans).toHaveLength(1);
    const [fetched] = fetchTraces(plans[0]);
    expect(fetched?.serviceName).toBe('athena-sessions');
    const trace = fetched!.trace!;
    expect(Number(trace.durationNs)).toBeGreaterThan(0);
    const names = responseNames(trace.root);
    expect(names).toContain('sessions');
    expect(names).toContain('sessionId');
    expect(names).toContain('state');
  });

  it('an Athena failure shows in the trace masked, as in the response', async () => {
    stack.athena.faults.set('GetSession', { error: 'InternalServerException' });
    const result = await router.query(
      `{ session(sessionId: "${DEMO_SESSION_ID}") { sessionId statistics { dpuExecutionInMillis } } }`,
    );
    expect(result.errors?.length).toBeGreaterThan(0);
    const trace = fetchTraces(plans[0])[0]!.trace!;
    const errors = JSON.stringify(trace.root);
    expect(errors).toContain('UPSTREAM_ERROR');
    expect(errors).not.toContain('InternalServerException');
    expect(errors).not.toContain('GetSession failed');
  });

  it('a client that does not ask gets no trace; one that asks directly gets it', async () => {
    const query = JSON.stringify({ query: '{ sessions(workGroup: "primary", first: 1) { edges { cursor } } }' });
    const ask = async (headers: Record<string, string>) => {
      const response = await stack.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: query,
      });
      return (await response.json()) as { extensions?: { ftv1?: string } };
    };
    expect((await ask({})).extensions?.ftv1).toBeUndefined();
    expect(typeof (await ask({ 'apollo-federation-include-trace': 'ftv1' })).extensions?.ftv1).toBe('string');
  });

  it('only the operations that ask pay for tracing: the served schema keeps its own resolvers', async () => {
    const query = '{ sessions(workGroup: "primary", first: 2) { edges { node { sessionId workGroup } } } }';
    const ask = async (headers: Record<string, string>) => {
      const response = await stack.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { data?: unknown; extensions?: { ftv1?: string } };
    };
    // Repeated, so the untraced ones run compiled (graphql-jit) and the traced ones must still trace.
    const answers = [];
    for (let round = 0; round < 3; round += 1) {
      answers.push(await ask({}), await ask({ 'apollo-federation-include-trace': 'ftv1' }));
    }
    for (const [index, answer] of answers.entries()) {
      expect(answer.data).toEqual(answers[0]!.data);
      if (index % 2 === 0) expect(answer.extensions?.ftv1).toBeUndefined();
      else expect(typeof answer.extensions?.ftv1).toBe('string');
    }
    // Every traced answer holds the field nodes, the third one as the first.
    const { Trace } = await import('@apollo/usage-reporting-protobuf');
    const last = Trace.decode(Buffer.from(answers[5]!.extensions!.ftv1!, 'base64'));
    expect(responseNames(last.root)).toEqual(expect.arrayContaining(['sessions', 'sessionId', 'workGroup']));
    expect(servedResolvers()).toEqual(resolversBeforeAnyGateway);
  });
});
