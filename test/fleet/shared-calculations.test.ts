// Work-group and calculation reads shared by 3 replicas through one Redis, as the session reads are:
// the fleet pays what one replica pays; a startCalculation or stopCalculation on one replica is seen
// at once on the others (the invalidation reaches every replica before the mutation answers); the
// Spark Connect endpoint, whose token is its caller's alone, is never cached nor shared.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/local-athena/clock.js';
import { type LocalAthena, startLocalAthena } from '../../src/local-athena/server.js';
import { type Replica, startReplicas, stopReplicas } from '../support/gateway-processes.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const CREATING_MS = 50;
const QUEUED_MS = 100;
const RUNNING_MS = 1_000;
const clock = new ManualClock(Date.now());

let redis: TestRedis;
let athena: LocalAthena;
let replicas: Replica[];
/** IDLE sessions of `analytics` (PySpark engine version 3) and `ml-experiments` (Spark 3.5). */
let pyspark: string[];
let spark35: string[];

async function ok(replica: Replica, query: string, variables?: Record<string, unknown>) {
  const result = await replica.graphql(query, variables);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

async function idle(workGroup: string): Promise<string[]> {
  const data = await ok(
    replicas[0]!,
    `{ sessions(workGroup: "${workGroup}", state: IDLE, first: 10) { edges { node { sessionId } } } }`,
  );
  return data.sessions.edges.map((edge: { node: { sessionId: string } }) => edge.node.sessionId);
}

async function startCalculation(replica: Replica, sessionId: string, code: string): Promise<string> {
  const data = await ok(
    replica,
    'mutation($input: StartCalculationInput!) { startCalculation(input: $input) { calculation { calculationId } } }',
    { input: { sessionId, codeBlock: code } },
  );
  return data.startCalculation.calculation.calculationId;
}

beforeAll(async () => {
  redis = await startRedis();
  athena = await startLocalAthena({
    seed: 'demo',
    clock,
    timings: { calculationCreatingMs: CREATING_MS, calculationQueuedMs: QUEUED_MS, calculationMs: RUNNING_MS },
  });
  // A TTL longer than the test: whatever a replica serves after a write on another one, it serves
  // because the write reached it, not because an entry expired.
  replicas = await startReplicas({
    replicas: 3,
    athenaUrl: athena.url,
    redisUrl: redis.url,
    env: { CACHE_TTL_MS: '60000' },
  });
  pyspark = await idle('analytics');
  spark35 = await idle('ml-experiments');
  expect(pyspark.length).toBeGreaterThan(2);
  expect(spark35.length).toBeGreaterThan(0);
}, 90_000);

afterAll(async () => {
  await stopReplicas(replicas ?? []);
  await athena?.close();
  await redis?.stop();
});

beforeEach(() => athena.calls.reset());

describe('work groups, shared', () => {
  it('the work-group list and one work group, asked on 3 replicas: one ListWorkGroups and one GetWorkGroup for the fleet', async () => {
    const list = '{ workGroups(first: 20) { edges { node { name } } } }';
    const one = '{ workGroup(name: "analytics") { name description } }';
    const first = await ok(replicas[0]!, list);
    await ok(replicas[0]!, one);
    const paidByOne = athena.calls.counts();
    expect(paidByOne.ListWorkGroups).toBe(1);
    expect(paidByOne.GetWorkGroup).toBe(1);
    const described = await ok(replicas[0]!, one);
    for (const replica of replicas.slice(1)) {
      expect(await ok(replica, list)).toEqual(first);
      expect(await ok(replica, one)).toEqual(described);
    }
    expect(athena.calls.counts()).toEqual(paidByOne);
  });
});

describe('calculations, shared', () => {
  it("a calculation and its session's list, read on 3 replicas, cost the fleet what they cost the first replica", async () => {
    const sessionId = pyspark.shift()!;
    const calculationId = await startCalculation(replicas[0]!, sessionId, 'print("shared")');
    clock.advance(CREATING_MS + QUEUED_MS + RUNNING_MS);
    const reads = [
      `{ calculation(calculationId: "${calculationId}") { status { state } statistics { dpuExecutionInMillis } description code } }`,
      `{ calculation(calculationId: "${calculationId}") { status { state } } }`,
      `{ session(sessionId: "${sessionId}") { calculations(first: 10) { edges { node { calculationId status { state } } } } } }`,
    ];
    athena.calls.reset();
    const answers = [];
    for (const read of reads) answers.push(await ok(replicas[0]!, read));
    const paidByOne = athena.calls.counts();
    for (const operation of ['GetCalculationExecution', 'GetCalculationExecutionCode', 'ListCalculationExecutions'])
      expect(paidByOne[operation]).toBe(1);
    expect(answers[0]!.calculation.status.state).toBe('COMPLETED');
    for (const replica of replicas.slice(1))
      for (const [index, read] of reads.entries()) expect(await ok(replica, read)).toEqual(answers[index]);
    // Replicas 2 and 3 read it all from Redis.
    expect(athena.calls.counts()).toEqual(paidByOne);
  });

  it('startCalculation on one replica: the others list the new calculation and see the session busy at once', async () => {
    const sessionId = pyspark.shift()!;
    const list = `{ session(sessionId: "${sessionId}") { status { state } calculations(first: 10) { edges { node { calculationId } } } } }`;
    // Cached fleet-wide before the write.
    for (const replica of replicas) await ok(replica, list);
    const calculationId = await startCalculation(replicas[0]!, sessionId, 'print("new")');
    for (const replica of replicas.slice(1)) {
      const data = await ok(replica, list);
      expect(data.session.status.state).toBe('BUSY');
      expect(
        data.session.calculations.edges.map((edge: { node: { calculationId: string } }) => edge.node.calculationId),
      ).toContain(calculationId);
    }
    clock.advance(CREATING_MS + QUEUED_MS + RUNNING_MS);
  });

  it('stopCalculation on one replica: the others see it stopping at once, not the running state they had cached', async () => {
    const sessionId = pyspark.shift()!;
    const calculationId = await startCalculation(replicas[0]!, sessionId, 'print("long")');
    clock.advance(CREATING_MS + QUEUED_MS + 10);
    const status = `{ calculation(calculationId: "${calculationId}") { status { state } } }`;
    for (const replica of replicas) expect((await ok(replica, status)).calculation.status.state).toBe('RUNNING');
    const list = `{ session(sessionId: "${sessionId}") { calculations(first: 10, state: RUNNING) { edges { node { calculationId } } } } }`;
    for (const replica of replicas) expect((await ok(replica, list)).session.calculations.edges).toHaveLength(1);

    await ok(replicas[1]!, `mutation { stopCalculation(input: { calculationId: "${calculationId}" }) { state } }`);
    for (const replica of [replicas[0]!, replicas[2]!]) {
      expect(['CANCELING', 'CANCELED']).toContain((await ok(replica, status)).calculation.status.state);
      expect((await ok(replica, list)).session.calculations.edges).toEqual([]);
    }
  });
});

describe('the Spark Connect endpoint is never shared', () => {
  it('asked on 3 replicas, twice each: six GetSessionEndpoint calls, one per request', async () => {
    const sessionId = spark35[0]!;
    const query = `{ session(sessionId: "${sessionId}") { endpoint { url authToken } } }`;
    for (const replica of replicas) {
      for (let round = 0; round < 2; round += 1)
        expect((await ok(replica, query)).session.endpoint.authToken).toEqual(expect.any(String));
    }
    expect(athena.calls.count('GetSessionEndpoint')).toBe(6);
  });
});
