// Operations whose cost is pinned, with what the gateway must do with each: shared by the cost
// tests here and by any transport that must hold the same line (HTTP, WebSocket). A variable list
// counts as the longest list its field accepts: `nodes(ids:)` takes 100, `_entities` 500.
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
    name: '_entities of 500 sessions with every nested object is over the limit',
    query: ENTITIES(EVERY_SESSION_OBJECT),
    variables: { representations: [] },
    cost: MAX_REPRESENTATIONS * PER_FULL_SESSION,
    refused: true,
  },
  {
    name: '_entities of 500 sessions with nine nested objects is exactly at the limit',
    query: ENTITIES(EVERY_SESSION_OBJECT.replace(' statistics { dpuExecutionInMillis }', '')),
    variables: { representations: [] },
    cost: MAX_COST,
    refused: false,
  },
];
