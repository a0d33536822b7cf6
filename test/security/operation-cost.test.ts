// The cost bound on its own terms: each rule of operation-cost.ts pinned by an exact number, and
// the shared cases (cost-cases.ts) both computed and sent to a production-like gateway.
import { buildSchema, getNullableType, isListType, isObjectType, type OperationDefinitionNode, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALCULATION_CALL_FIELDS, CALCULATION_SCHEMA_FIELDS } from '../../src/athena/calculation-fields.js';
import { SESSION_CALL_FIELDS, SESSION_FIELD_SOURCES } from '../../src/athena/session-fields.js';
import { getSchema } from '../../src/schema/index.js';
import { MAX_COST } from '../../src/security/limits.js';
import { LIST_ARGUMENT_LIMITS, operationCost } from '../../src/security/operation-cost.js';
import type { Stack } from '../helpers.js';
import { ENTITIES_COST_CASES } from './cost-cases.js';
import { bearer, post, send, startProductionStack, token } from './support.js';

const costOf = (document: string) => {
  const ast = parse(document);
  const fragments = new Map(
    ast.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])),
  );
  const operation = ast.definitions.find((d) => d.kind === 'OperationDefinition');
  if (operation?.kind !== 'OperationDefinition') throw new Error('no operation');
  return operationCost(getSchema(), operation, fragments);
};

describe('list arguments', () => {
  it('every list argument of a list field has its own run-time limit in the table', () => {
    const found: string[] = [];
    for (const type of Object.values(getSchema().getTypeMap())) {
      if (type.name.startsWith('__') || !('getFields' in type) || !('getInterfaces' in type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isListType(getNullableType(field.type))) continue;
        for (const argument of field.args)
          if (isListType(getNullableType(argument.type))) found.push(`${type.name}.${field.name}.${argument.name}`);
      }
    }
    expect(found.sort()).toEqual([...LIST_ARGUMENT_LIMITS.keys()].sort());
  });

  it.each(ENTITIES_COST_CASES)('$name: cost $cost', ({ query, cost, refused }) => {
    expect(costOf(query)).toBe(cost);
    expect(cost > MAX_COST).toBe(refused);
  });

  it('a null list counts nothing, a single value one element, and the longest list argument wins', () => {
    expect(costOf('{ nodes(ids: "a") { id } }')).toBe(1);
    expect(costOf('{ nodes(ids: []) { id } }')).toBe(0);
    expect(costOf('{ nodes(ids: null) { id } }')).toBe(0);
    // Documents that validation refuses are still costed without throwing.
    expect(costOf('{ nodes(ids: ["a"], bogus: 5) { id } }')).toBe(1);
    expect(costOf('{ session(sessionId: "s") { sessionId { x } } }')).toBe(1);
    expect(costOf('query($id: ID!) { nodes(ids: [$id, "b"]) { id } }')).toBe(2);
  });
});

describe('pages', () => {
  const sessions = (first: string) => costOf(`{ sessions(workGroup: "primary"${first}) { edges { node { id } } } }`);

  it('a literal `first` counts that many, capped at the largest page and floored at 0', () => {
    expect(sessions(', first: 7')).toBe(1 + 7 * 2);
    expect(sessions(', first: 1000')).toBe(1 + 100 * 2);
    expect(sessions(', first: -5')).toBe(1);
    expect(sessions(', first: 0')).toBe(1);
  });

  it('`first: null` and an absent `first` count the default page; a variable the largest', () => {
    expect(sessions(', first: null')).toBe(1 + 20 * 2);
    expect(sessions('')).toBe(1 + 20 * 2);
    expect(costOf('query($n: Int) { sessions(workGroup: "primary", first: $n) { edges { node { id } } } }')).toBe(
      1 + 100 * 2,
    );
  });

  it('the page factor reaches only the connection’s own list fields, not lists further down', () => {
    // 1 connection + 3 edges + 3 nodes + 3 engine configurations + 3 x 1 spark property list
    expect(
      costOf(
        '{ sessions(workGroup: "primary", first: 3) { edges { node { engineConfiguration { sparkProperties { key } } } } } }',
      ),
    ).toBe(1 + 3 + 3 + 3 + 3);
  });

  it('a field without `first` passes no page factor down', () => {
    expect(costOf('{ session(sessionId: "s") { engineConfiguration { sparkProperties { key } } } }')).toBe(3);
  });
});

describe('fragments', () => {
  it('a fragment spread under connections of different page sizes costs each its own page (the memo is per page factor)', () => {
    const document = `{
      small: sessions(workGroup: "primary", first: 2) { ...Page }
      large: sessions(workGroup: "primary", first: 50) { ...Page }
    }
    fragment Page on SessionConnection { edges { node { id } } }`;
    expect(costOf(document)).toBe(1 + 2 * 2 + (1 + 50 * 2));
    const reversed = document
      .replace('first: 2', 'first: X')
      .replace('first: 50', 'first: 2')
      .replace('first: X', 'first: 50');
    expect(costOf(reversed)).toBe(costOf(document));
  });

  it('inline fragments with and without a type condition count like the fields they hold; unknown types count nothing', () => {
    expect(
      costOf(
        '{ session(sessionId: "s") { ... { status { state } } ... on Session { statistics { dpuExecutionInMillis } } } }',
      ),
    ).toBe(3);
    expect(costOf('{ session(sessionId: "s") { ... on Nowhere { status { state } } } }')).toBe(1);
  });

  it('unknown fragments, fields, cycles and fragments on leaf types add nothing', () => {
    expect(costOf('{ session(sessionId: "s") { ...Missing nope { x } } }')).toBe(1);
    expect(
      costOf('{ ...A } fragment A on Query { ...B session(sessionId: "s") { id } } fragment B on Query { ...A }'),
    ).toBe(1);
    expect(costOf('{ session(sessionId: "s") { ...OnLeaf } } fragment OnLeaf on String { x }')).toBe(1);
  });

  it('introspection and __typename cost nothing; nor does an operation on a root the schema lacks', () => {
    expect(costOf('{ __typename __schema { types { name fields { name } } } }')).toBe(0);
    const mutation = parse('mutation { terminateSession(input: { sessionId: "s" }) { session { id } } }')
      .definitions[0]!;
    expect(mutation.kind).toBe('OperationDefinition');
    expect(operationCost(getSchema(), mutation as OperationDefinitionNode, new Map())).toBe(2);
    expect(operationCost(buildSchema('type Query { a: Int }'), mutation as OperationDefinitionNode, new Map())).toBe(0);
    expect(costOf('subscription { sessionStatus(sessionId: "s") { state } }')).toBe(1);
  });
});

describe('the field tables', () => {
  const fieldsOf = (typeName: string) => {
    const type = getSchema().getType(typeName);
    if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
    return Object.keys(type.getFields()).sort();
  };

  it("every field of Session and Calculation is the id, a table row's, or a call of its own", () => {
    expect(fieldsOf('Session')).toEqual(
      ['id', ...Object.keys(SESSION_FIELD_SOURCES), ...Object.keys(SESSION_CALL_FIELDS)].sort(),
    );
    expect(fieldsOf('Calculation')).toEqual(
      ['id', ...CALCULATION_SCHEMA_FIELDS.keys(), ...Object.keys(CALCULATION_CALL_FIELDS)].sort(),
    );
  });

  it('a leaf that costs a call of its own counts once per object it is selected on; other leaves nothing', () => {
    expect(costOf('{ calculation(calculationId: "c") { calculationId description } }')).toBe(1);
    expect(costOf('{ calculation(calculationId: "c") { code } }')).toBe(1 + 1);
    expect(costOf('{ calculation(calculationId: "c") { a: code b: code } }')).toBe(1 + 2);
    expect(costOf('query($ids: [ID!]!) { nodes(ids: $ids) { ... on Calculation { code } } }')).toBe(100 + 100);
    expect(
      costOf(
        '{ session(sessionId: "s") { calculations(first: 10) { edges { node { ...Code } } } } } fragment Code on Calculation { code }',
      ),
    ).toBe(1 + 1 + 10 * 2 + 10);
  });

  it('under _entities, the values an element’s own call answers count nothing, and neither do values inside them', () => {
    const entity = (selection: string) =>
      costOf(`{ _entities(representations: [{ __typename: "Session", sessionId: "s" }]) { ${selection} } }`);
    expect(entity('... on Session { status { state } statistics { progress } }')).toBe(1);
    expect(
      entity(
        '... on Session { engineConfiguration { classifications { properties { key } } } sessionConfiguration { encryptionConfiguration { kmsKey } } }',
      ),
    ).toBe(1);
    expect(entity('... on Calculation { status { state } statistics { progress } result { resultS3Uri } }')).toBe(1);
    // Outside _entities the same values count as objects.
    expect(costOf('{ session(sessionId: "s") { status { state } statistics { progress } } }')).toBe(3);
    expect(costOf('{ calculation(calculationId: "c") { status { state } result { resultS3Uri } } }')).toBe(3);
  });

  it('under _entities, what reaches beyond an element’s own call counts as anywhere else', () => {
    const entity = (selection: string) =>
      costOf(`{ _entities(representations: [{ __typename: "Calculation", calculationId: "c" }]) { ${selection} } }`);
    // The session is an object of its own (a call of its own), and its values count there.
    expect(entity('... on Calculation { session { status { state } } }')).toBe(1 + 1 + 1);
    expect(entity('... on Calculation { code }')).toBe(1 + 1);
    expect(entity('... on Session { endpoint { endpointUrl } }')).toBe(1 + 1);
    expect(entity('... on Session { calculations(first: 2) { edges { node { status { state } } } } }')).toBe(
      1 + 1 + 2 * 3,
    );
    // A work group is in no table: its engine version counts.
    expect(entity('... on WorkGroup { engineVersion { selectedEngineVersion } }')).toBe(2);
  });

  it('a fragment costs what its place says: its values are free under _entities only', () => {
    const document = `{
      session(sessionId: "s") { ...Values }
      _entities(representations: [{ __typename: "Session", sessionId: "s" }]) { ...Values }
    }
    fragment Values on Session { status { state } statistics { progress } }`;
    expect(costOf(document)).toBe(1 + 2 + 1);
    const reversed = `{
      _entities(representations: [{ __typename: "Session", sessionId: "s" }]) { ...Values }
      session(sessionId: "s") { ...Values }
    }
    fragment Values on Session { status { state } statistics { progress } }`;
    expect(costOf(reversed)).toBe(costOf(document));
  });
});

describe('the shared cases, sent to a production-like gateway', () => {
  let stack: Stack;
  let auth: Record<string, string>;
  beforeAll(async () => {
    stack = await startProductionStack();
    auth = bearer(await token());
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetCalls());

  it.each(ENTITIES_COST_CASES)('$name', async ({ query, variables, refused }) => {
    const response = await send(stack, post(query, variables, auth));
    if (refused) {
      expect({ status: response.status, code: response.code }).toEqual({ status: 400, code: 'COST_LIMIT_EXCEEDED' });
      expect(stack.calls()).toEqual({});
    } else {
      expect(response.json?.errors?.map((error) => error.extensions?.code) ?? []).not.toContain('COST_LIMIT_EXCEEDED');
      expect(response.status).toBe(200);
    }
  });
});
