// Composes the subgraph SDL a registry is given (subgraph.graphql, kept equal to `_service { sdl }`
// by test/schema/schema-file.test.ts) with other teams' subgraphs, as a supergraph registry would.
import { readFileSync } from 'node:fs';
import { type CompositionResult, composeServices } from '@apollo/composition';
import {
  type DocumentNode,
  GraphQLObjectType,
  type GraphQLSchema,
  isObjectType,
  isSpecifiedScalarType,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { getClientSchema } from '../../src/schema/index.js';
import { TEAMS_TYPE_DEFS } from './teams-subgraph.js';

const SUBGRAPH_SDL = readFileSync(new URL('../../subgraph.graphql', import.meta.url), 'utf8');
const athena = { name: 'athena-sessions', typeDefs: parse(SUBGRAPH_SDL), url: 'http://athena-sessions.test/graphql' };
const teams = { name: 'teams', typeDefs: TEAMS_TYPE_DEFS, url: 'http://teams.test/graphql' };

/**
 * Hints we accept. None today: a hint means a type or field merges differently from what either
 * team wrote, which is worth a look before it reaches a company supergraph.
 */
const ACCEPTED_HINT_CODES = new Set<string>();

function compose(...services: { name: string; typeDefs: DocumentNode; url: string }[]): CompositionResult {
  return composeServices(services);
}

function apiSchemaOf(result: CompositionResult): GraphQLSchema {
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  return result.schema.toAPISchema().toGraphQLJSSchema();
}

function fieldsOf(schema: GraphQLSchema, typeName: string): Record<string, string> {
  const type = schema.getType(typeName);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`${typeName} is not an object type of the supergraph`);
  return Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, String(field.type)]));
}

describe('composition with a teams subgraph', () => {
  const result = compose(athena, teams);

  it('composes with no error and no hint that matters', () => {
    expect(result.errors?.map((error) => error.message)).toBeUndefined();
    const hints = (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);
    if (hints.length > 0) console.info(`composition hints:\n${hints.join('\n')}`);
    expect(
      (result.hints ?? []).filter((hint) => !ACCEPTED_HINT_CODES.has(hint.definition.code)).map((hint) => hint.message),
    ).toEqual([]);
  });

  it('keeps every type and field of the client API, unchanged, in the supergraph API', () => {
    const supergraph = apiSchemaOf(result);
    const client = getClientSchema();
    for (const type of Object.values(client.getTypeMap())) {
      // Built-in scalars the API does not use are not carried over, and need not be.
      if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
      const merged = supergraph.getType(type.name);
      expect(merged?.toString(), type.name).toBe(type.name);
      if (isObjectType(type)) {
        const expected = Object.fromEntries(
          Object.values(type.getFields()).map((field) => [field.name, String(field.type)]),
        );
        expect(fieldsOf(supergraph, type.name), type.name).toMatchObject(expected);
      }
    }
  });

  it('joins Session and WorkGroup across the two subgraphs by their keys', () => {
    const supergraph = apiSchemaOf(result);
    expect(fieldsOf(supergraph, 'Team')).toEqual({
      id: 'ID!',
      name: 'String!',
      workGroup: 'WorkGroup',
      sessions: '[Session]!',
    });
    expect(fieldsOf(supergraph, 'Session')).toMatchObject({
      sessionId: 'String!',
      status: 'SessionStatus!',
      description: 'String',
      owner: 'Team',
    });
    expect(result.supergraphSdl).toMatch(
      /type Session implements Node\s+@join__implements\(graph: ATHENA_SESSIONS, interface: "Node"\)\s+@join__type\(graph: ATHENA_SESSIONS, key: "sessionId"\)\s+@join__type\(graph: TEAMS, key: "sessionId"\)/,
    );
    expect(result.supergraphSdl).toMatch(
      /type WorkGroup implements Node[^{]*@join__type\(graph: ATHENA_SESSIONS, key: "name"\)[^{]*@join__type\(graph: TEAMS, key: "name", resolvable: false\)/,
    );
  });

  it('exposes no federation plumbing to supergraph clients', () => {
    const supergraph = apiSchemaOf(result);
    const query = supergraph.getQueryType()!.getFields();
    expect(query._entities).toBeUndefined();
    expect(query._service).toBeUndefined();
    expect(supergraph.getType('_Any')).toBeUndefined();
  });
});

describe('composition with other subgraphs a company supergraph has', () => {
  it('a Relay subgraph with its own shareable PageInfo composes: ours is shareable too', () => {
    const projects = parse(/* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
      type Query { projects(first: Int, after: String): ProjectConnection! }
      type Project @key(fields: "id") { id: ID! title: String! }
      type ProjectEdge { cursor: String! node: Project! }
      type ProjectConnection { edges: [ProjectEdge!]! pageInfo: PageInfo! }
      type PageInfo @shareable { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
    `);
    const result = compose(athena, teams, {
      name: 'projects',
      typeDefs: projects,
      url: 'http://projects.test/graphql',
    });
    expect(result.errors?.map((error) => error.message)).toBeUndefined();
  });

  it('the check fails when a subgraph contradicts ours (a field typed differently, not shareable)', () => {
    const conflicting = parse(/* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Query { audits: [Session!]! }
      type Session @key(fields: "sessionId") { sessionId: String! description: Int }
    `);
    const result = compose(athena, { name: 'audits', typeDefs: conflicting, url: 'http://audits.test/graphql' });
    expect(result.errors?.length).toBeGreaterThan(0);
  });
});
