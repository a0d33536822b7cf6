// Operations whose cost is pinned, with what the gateway must do with each: shared by the cost
// tests here and by any transport that must hold the same line (HTTP, WebSocket). A variable list
// counts as the longest list its field accepts: `nodes(ids:)` takes 100, `_entities` 500; under
// `_entities` the values an element's own call answers count nothing (docs/security.md).
import { MAX_COST, MAX_NODES, MAX_REPRESENTATIONS } from '../../src/security/limits.js';

export interface CostCase {
  name: string;
  query: string;
  variables: Record<string, unknown>;
  /** The upper bound operationCost must give. */
  cost: number;
  /** Refused with COST_LIMIT_EXCEEDED (HTTP 400) before any upstream call; otherwise no cost error at all. */
  refused: boolean;
}

const ENTITIES = (selection: string) =>
  `query ($representations: [_Any!]!) { _entities(representations: $representations) { __typename ${selection} } }`;
/** Per work group: itself, its connection, and five edges with their nodes. */
const FIVE_SESSIONS = '... on WorkGroup { sessions(first: 5) { edges { node { id } } } }';
const PER_WORK_GROUP = 1 + 1 + 5 * 2;
/** A session with ten nested objects: status, engineVersion, engineConfiguration and its three lists (one nested), sessionConfiguration and its encryption, statistics. */
const EVERY_SESSION_OBJECT = `... on Session { sessionId status { state } engineVersion { effectiveEngineVersion }
  engineConfiguration { additionalConfigs { key } sparkProperties { key } classifications { name properties { key } } }
  sessionConfiguration { encryptionConfiguration { encryptionOption } } statistics { dpuExecutionInMillis } }`;
const PER_FULL_SESSION = 1 + 10;
/** Every field of a calculation that its GetCalculationExecution answers. */
const EVERY_CALCULATION_VALUE = `... on Calculation { calculationId description status { state }
  statistics { dpuExecutionInMillis } result { resultS3Uri } }`;
const work = (name: string) => ({ __typename: 'WorkGroup', name });

export const ENTITIES_COST_CASES: readonly CostCase[] = [
  {
    name: '_entities with a representations variable counts 500 entities',
    query: ENTITIES('... on Session { sessionId }'),
    variables: { representations: [] },
    cost: MAX_REPRESENTATIONS,
    refused: false,
  },
  {
    name: '_entities of 500 work groups listing 5 sessions each (500 ListSessions) is over the limit',
    query: ENTITIES(FIVE_SESSIONS),
    variables: { representations: [work('primary')] },
    cost: MAX_REPRESENTATIONS * PER_WORK_GROUP,
    refused: true,
  },
  {
    name: 'the same fan-out moved into a fragment is counted all the same',
    query: `query ($representations: [_Any!]!) { ...Fan } fragment Fan on Query { _entities(representations: $representations) { __typename ${FIVE_SESSIONS} } }`,
    variables: { representations: [work('primary')] },
    cost: MAX_REPRESENTATIONS * PER_WORK_GROUP,
    refused: true,
  },
  {
    name: 'the same selection through nodes, whose limit is 100 ids, is within it',
    query: `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename ${FIVE_SESSIONS} } }`,
    variables: { ids: [] },
    cost: MAX_NODES * PER_WORK_GROUP,
    refused: false,
  },
  {
    name: '_entities with two literal representations counts two',
    query: `{ _entities(representations: [{ __typename: "WorkGroup", name: "primary" }, { __typename: "WorkGroup", name: "analytics" }]) { __typename ${FIVE_SESSIONS} } }`,
    variables: {},
    cost: 2 * PER_WORK_GROUP,
    refused: false,
  },
  {
    // A router's batch cannot be split: each element counts its one call, and the values that call
    // answers count nothing (the same selection on a page of sessions counts 11 each).
    name: "a router's 500 sessions with every nested object count one each",
    query: ENTITIES(EVERY_SESSION_OBJECT),
    variables: { representations: [] },
    cost: MAX_REPRESENTATIONS,
    refused: false,
  },
  {
    name: "a router's 500 calculations with every field but the code count one each",
    query: ENTITIES(EVERY_CALCULATION_VALUE),
    variables: { representations: [] },
    cost: MAX_REPRESENTATIONS,
    refused: false,
  },
  {
    name: '_entities of 500 work groups listing 4 sessions each is exactly at the limit',
    query: ENTITIES('... on WorkGroup { sessions(first: 4) { edges { node { id } } } }'),
    variables: { representations: [] },
    cost: MAX_COST,
    refused: false,
  },
  {
    name: "500 calculations with their code and their session's every nested object are over the limit",
    query: ENTITIES(`... on Calculation { code session { ${EVERY_SESSION_OBJECT} } }`),
    variables: { representations: [] },
    cost: MAX_REPRESENTATIONS * (1 + 1 + PER_FULL_SESSION),
    refused: true,
  },
  {
    name: '500 sessions each listing 5 calculations (500 ListCalculationExecutions) are over the limit',
    query: ENTITIES('... on Session { status { state } calculations(first: 5) { edges { node { id } } } }'),
    variables: { representations: [] },
    cost: MAX_REPRESENTATIONS * (1 + 1 + 5 * 2),
    refused: true,
  },
];
