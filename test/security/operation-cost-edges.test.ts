// The cost bound's less travelled rules, each pinned by an exact number: allSessions' work-group
// fan-out, fragments memoised per name and page factor, invalid documents costed without
// throwing, and list arguments on a schema of our own (one whose list argument is missing from
// the table, and one field with two list arguments).
import { buildSchema, type DocumentNode, type GraphQLSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { MAX_MERGED_WORK_GROUPS } from '../../src/schema/all-sessions.js';
import { getSchema } from '../../src/schema/index.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_REPRESENTATIONS } from '../../src/security/limits.js';
import { operationCost } from '../../src/security/operation-cost.js';

function costIn(schema: GraphQLSchema, document: string): number {
  const ast: DocumentNode = parse(document);
  const fragments = new Map(
    ast.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])),
  );
  const operation = ast.definitions.find((d) => d.kind === 'OperationDefinition');
  if (operation?.kind !== 'OperationDefinition') throw new Error('no operation');
  return operationCost(schema, operation, fragments);
}
const costOf = (document: string) => costIn(getSchema(), document);

describe('allSessions reads one ListSessions per work group it merges', () => {
  const page = (first: number) => 1 + first * 2;

  it('a literal list counts its work groups, at most the most it merges', () => {
    expect(costOf('{ allSessions(workGroups: ["a", "b"], first: 3) { edges { node { id } } } }')).toBe(2 + page(3));
    const many = Array.from({ length: MAX_MERGED_WORK_GROUPS + 5 }, (_, i) => `"wg${i}"`).join(', ');
    expect(costOf(`{ allSessions(workGroups: [${many}], first: 3) { edges { node { id } } } }`)).toBe(
      MAX_MERGED_WORK_GROUPS + page(3),
    );
  });

  it('reads the workGroups argument wherever it stands among the arguments', () => {
    expect(costOf('{ allSessions(first: 3, workGroups: ["a", "b"]) { edges { node { id } } } }')).toBe(2 + page(3));
  });

  it('a variable, or no list at all (every visible work group), counts the most it merges', () => {
    expect(costOf('query ($w: [String!]) { allSessions(workGroups: $w, first: 3) { edges { node { id } } } }')).toBe(
      MAX_MERGED_WORK_GROUPS + page(3),
    );
    expect(costOf('{ allSessions(first: 3) { edges { node { id } } } }')).toBe(MAX_MERGED_WORK_GROUPS + page(3));
  });

  it('is counted for each allSessions field of the operation', () => {
    expect(
      costOf(
        '{ a: allSessions(workGroups: ["a"], first: 1) { edges { node { id } } } b: allSessions(workGroups: ["a"], first: 1) { edges { node { id } } } }',
      ),
    ).toBe(2 * (1 + page(1)));
  });

  it('other fields merge no work groups', () => {
    expect(costOf('{ sessions(workGroup: "primary", first: 3) { edges { node { id } } } }')).toBe(page(3));
  });
});

describe('fragments', () => {
  it('different fragments are not mistaken for one another by the memo', () => {
    const document = `{ session(sessionId: "s") { ...Small ...Large } }
      fragment Small on Session { status { state } }
      fragment Large on Session { status { state } statistics { dpuExecutionInMillis } engineVersion { effectiveEngineVersion } }`;
    expect(costOf(document)).toBe(1 + 1 + 3);
    expect(costOf(document.replace('...Small ...Large', '...Large ...Small'))).toBe(1 + 1 + 3);
  });

  it('a fragment spread under a page and outside any page costs each its own', () => {
    const document = `{
      sessions(workGroup: "primary", first: 4) { ...Edges }
      session(sessionId: "s") { engineConfiguration { ...Props } }
    }
    fragment Edges on SessionConnection { edges { node { engineConfiguration { ...Props } } } }
    fragment Props on EngineConfiguration { sparkProperties { key } }`;
    // sessions: 1 + 4 edges + 4 nodes + 4 configurations + 4 property lists; session: 1 + 1 + 1.
    expect(costOf(document)).toBe(1 + 4 * 4 + 3);
  });

  it('a fragment is costed once per page factor, so nested spreads stay linear', () => {
    // Each level spreads the next twice: 2^(depth-1) objects, computed without 2^depth work.
    const depth = 40;
    const chain = Array.from({ length: depth }, (_, level) =>
      level === depth - 1
        ? `fragment G${level} on Query { session(sessionId: "s") { id } }`
        : `fragment G${level} on Query { ...G${level + 1} ...G${level + 1} }`,
    );
    expect(costOf(`{ ...G0 } ${chain.join('\n')}`)).toBe(2 ** (depth - 1));
  });
});

describe('documents that validation refuses are costed without throwing', () => {
  it('a composite field without a selection set counts nothing', () => {
    expect(costOf('{ session(sessionId: "s") }')).toBe(0);
  });

  it('a field selected on a union (other than __typename) counts nothing', () => {
    expect(costOf('{ _entities(representations: ["a"]) { sessionId status { state } } }')).toBe(1);
  });

  it('a `first` that is not a number, null nor a variable counts the default page', () => {
    expect(costOf('{ sessions(workGroup: "primary", first: "ten") { edges { node { id } } } }')).toBe(
      1 + DEFAULT_PAGE_SIZE * 2,
    );
  });
});

describe('list arguments on a schema of our own', () => {
  const schema = buildSchema(`
    type Thing { id: ID, children(ids: [ID!], limit: Int): [Thing!]! }
    type Query {
      things(ids: [ID!], tags: [String!], limit: Int): [Thing!]!
      paged(first: Int): [Thing!]!
      node: Node
    }
    interface Node { id: ID, thing: Thing }
  `);

  it('a list argument missing from the table counts as the longest of the table, never less', () => {
    expect(costIn(schema, 'query ($ids: [ID!]) { things(ids: $ids) { id } }')).toBe(MAX_REPRESENTATIONS);
  });

  it('of two list arguments the longer counts; a scalar argument is no list', () => {
    expect(costIn(schema, '{ things(ids: ["1", "2", "3"], tags: ["x"], limit: 50) { id } }')).toBe(3);
    expect(costIn(schema, '{ things(tags: ["x"], ids: ["1", "2", "3"]) { id } }')).toBe(3);
    expect(costIn(schema, '{ things(limit: 50) { id } }')).toBe(1);
  });

  it('a list field with a `first` gets its page size from it; its list elements pass no factor further', () => {
    expect(costIn(schema, '{ paged(first: 7) { id } }')).toBe(1);
    expect(costIn(schema, '{ paged { children { id } } }')).toBe(1 + DEFAULT_PAGE_SIZE);
    expect(costIn(schema, 'query ($n: Int) { paged(first: $n) { children { id } } }')).toBe(1 + MAX_PAGE_SIZE);
  });

  it('fields of an interface are costed like those of an object', () => {
    expect(costIn(schema, '{ node { thing { id } } }')).toBe(2);
  });
});

describe('the field tables on a schema of our own', () => {
  const schema = buildSchema(`
    interface Node { id: ID! }
    interface Timed { at: String }
    type SessionStatus implements Timed { at: String state: String }
    type Session implements Node { id: ID! status: SessionStatus }
    union _Entity = Session
    scalar _Any
    type Holder { _entities: [_Entity] }
    type Item { x: Int }
    type Thing { items: [Item] }
    type Query {
      _entities(representations: [_Any!]!): [_Entity]!
      holder: Holder
      thing(id: ID): Thing
    }
  `);

  it('a value that implements an interface other than Node is still a value, free under _entities', () => {
    expect(costIn(schema, '{ _entities(representations: [{}]) { ... on Session { status { state } } } }')).toBe(1);
  });

  it("only the root's _entities is a router's batch: a field of that name elsewhere counts its values", () => {
    expect(costIn(schema, '{ holder { _entities { ... on Session { status { state } } } } }')).toBe(1 + 1 + 1);
  });

  it('an argument other than `first` passes no page factor to the list below', () => {
    expect(costIn(schema, '{ thing(id: "a") { items { x } } }')).toBe(2);
  });
});
