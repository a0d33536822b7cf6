import { DemoActivity } from './demo-activity.js';
import { DemoRandom } from './demo-random.js';
import type { SessionState, SessionView, WorkGroupState } from './session-model.js';
import {
  isSparkConnectEngineVersion,
  PYSPARK_3_ENGINE_VERSION,
  SPARK_35_ENGINE_VERSION,
  SQL_ENGINE_VERSION,
} from './session-model.js';
import type { SessionSeed, SessionStore } from './session-store.js';

/**
 * Demo data for `npm start` and `--seed demo`: deterministic (a seeded PRNG; timestamps are
 * offsets from the clock's now at seed time), every session state present, and `primary` well
 * over 250 active sessions so paging shows.
 *
 * Two modes. Static (the default, what tests and benchmarks read): seeded sessions are pinned and
 * never idle out, so the picture stays the same (CREATING stays CREATING, BUSY stays BUSY, its
 * calculation keeps running) until someone acts on a session, which then follows the normal
 * lifecycle. Live (`live: true`, what `npm start` serves): the same sessions, but those starting
 * move on to IDLE, BUSY ones finish their calculation and go IDLE, TERMINATING ones end, and
 * demo-activity.ts keeps new sessions and calculations coming; timings in docs/local-athena.md.
 * Seeded IDLE and DEGRADED sessions stay pinned in both modes, so `primary` never drops to 250
 * active sessions or below.
 */

export const DEMO_WORK_GROUPS = [
  'primary',
  'analytics',
  'ml-experiments',
  'sandbox',
  'sql-reporting',
  'legacy-etl',
] as const;
export type DemoWorkGroup = (typeof DEMO_WORK_GROUPS)[number];

export const DEMO_SEED = 20_240_115;

const ACCOUNT_ID = '123456789012';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

type StateCounts = Partial<Record<SessionState, number>>;

interface DemoWorkGroupPlan {
  name: DemoWorkGroup;
  description: string;
  /** Days before the seed's now. */
  createdDaysAgo: number;
  state?: WorkGroupState;
  engineVersion: string;
  bucket: string;
  encryption?: SessionSeed['encryptionConfiguration'];
  sessions: StateCounts;
  descriptions: readonly string[];
}

const SHARED_DESCRIPTIONS = [
  'Ad-hoc exploration of clickstream',
  'Nightly churn model feature build',
  'Backfill of order events into Iceberg',
  'Sessionization of web logs',
  'Daily revenue reconciliation',
  'Customer lifetime value scoring',
  'Inventory snapshot compaction',
  'Marketing attribution (last-touch vs. linear)',
  'Data quality checks on raw ingest',
  'Weekly cohort retention report',
  'Geo enrichment of delivery scans',
  'Fraud signal aggregation',
  'Product catalog deduplication',
  'Search query log analysis',
  'A/B test readout: checkout redesign',
  'Support ticket topic clustering',
] as const;

const PLANS: readonly DemoWorkGroupPlan[] = [
  {
    name: 'primary',
    description: 'Shared Spark notebooks and jobs of the data teams',
    createdDaysAgo: 412,
    engineVersion: PYSPARK_3_ENGINE_VERSION,
    bucket: 'acme-athena-spark',
    encryption: { encryptionOption: 'SSE_S3' },
    // 306 active (IDLE, BUSY, CREATING, CREATED, DEGRADED), 58 inactive.
    sessions: {
      IDLE: 232,
      BUSY: 58,
      CREATING: 6,
      CREATED: 6,
      DEGRADED: 4,
      TERMINATING: 4,
      TERMINATED: 45,
      FAILED: 9,
    },
    descriptions: SHARED_DESCRIPTIONS,
  },
  {
    name: 'analytics',
    description: 'Finance and business analytics notebooks',
    createdDaysAgo: 230,
    engineVersion: PYSPARK_3_ENGINE_VERSION,
    bucket: 'acme-analytics-notebooks',
    encryption: {
      encryptionOption: 'SSE_KMS',
      kmsKey: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/4f1c2d3e-8a9b-4c5d-9e6f-7a8b9c0d1e2f`,
    },
    sessions: { IDLE: 20, BUSY: 6, CREATED: 2, CREATING: 1, TERMINATING: 1, TERMINATED: 8, FAILED: 2 },
    descriptions: [
      'Finance month-end close notebook',
      'Board deck KPI refresh',
      'Pricing elasticity study',
      'Executive dashboard extract',
      'Marketing spend efficiency',
      'Partner revenue share calculation',
      ...SHARED_DESCRIPTIONS.slice(0, 6),
    ],
  },
  {
    name: 'ml-experiments',
    description: 'Machine learning experiments on Spark 3.5 (Spark Connect)',
    createdDaysAgo: 61,
    engineVersion: SPARK_35_ENGINE_VERSION,
    bucket: 'acme-ml-sandbox',
    sessions: { IDLE: 2, BUSY: 2, DEGRADED: 2, CREATING: 1, TERMINATED: 1, FAILED: 1 },
    descriptions: [
      'Hyperparameter sweep for ranking model',
      'Embedding generation for product images',
      'Feature drift analysis',
      'Training data export for XGBoost',
      'Graph features for fraud detection',
    ],
  },
  {
    name: 'sandbox',
    description: 'Scratch space: anyone may start sessions here',
    createdDaysAgo: 30,
    engineVersion: PYSPARK_3_ENGINE_VERSION,
    bucket: 'acme-sandbox',
    sessions: {},
    descriptions: [],
  },
  {
    // A SQL work group: ListWorkGroups shows it, StartSession refuses it.
    name: 'sql-reporting',
    description: 'SQL dashboards (Athena SQL, no Spark)',
    createdDaysAgo: 700,
    engineVersion: SQL_ENGINE_VERSION,
    bucket: 'acme-athena-sql',
    sessions: {},
    descriptions: [],
  },
  {
    // Disabled after its sessions ended: only inactive sessions remain.
    name: 'legacy-etl',
    description: 'Retired nightly ETL; disabled',
    createdDaysAgo: 900,
    state: 'DISABLED',
    engineVersion: PYSPARK_3_ENGINE_VERSION,
    bucket: 'acme-legacy-etl',
    sessions: { TERMINATED: 3, FAILED: 1 },
    descriptions: ['Nightly orders ETL', 'Nightly inventory ETL'],
  },
];

const SPARK_PROPERTY_CHOICES: readonly Record<string, string>[] = [
  { 'spark.sql.shuffle.partitions': '200', 'spark.executor.memory': '4g' },
  {
    'spark.sql.catalog.spark_catalog': 'org.apache.iceberg.spark.SparkSessionCatalog',
    'spark.sql.extensions': 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
  },
  { 'spark.dynamicAllocation.enabled': 'true', 'spark.dynamicAllocation.maxExecutors': '40' },
  { 'spark.sql.adaptive.enabled': 'true', 'spark.sql.adaptive.coalescePartitions.enabled': 'true' },
  {},
];

const FAILED_REASONS = [
  'Session failed: the Spark driver ran out of memory',
  'Session failed: the execution role could not be assumed',
  'Session failed: the Spark driver exited unexpectedly',
] as const;

const MAX_CONCURRENT_DPU_CHOICES = [4, 8, 16, 20, 32, 60, 120] as const;
const IDLE_TIMEOUT_MINUTE_CHOICES = [15, 20, 30, 60, 120, 480] as const;
const TEAMS = ['growth', 'finance', 'data-platform', 'ml', 'marketing'] as const;

export interface DemoSeedSummary {
  workGroups: DemoWorkGroup[];
  sessionCount: number;
  /** Live mode: the session that keeps going BUSY and back (primary's newest IDLE one). */
  watchedSessionId?: string | undefined;
}

export interface DemoSeedOptions {
  /** Default false: the static picture. */
  live?: boolean;
}

/** A pinned BUSY session's calculation runs as long as the session stays pinned (far beyond any test). */
const PINNED_CALCULATION_MS = 30 * DAY_MS;

/** Live mode: how long the seeded sessions that are moving still take (uniform, from the seed's now). */
export const LIVE_SEED_TIMINGS = Object.freeze({
  /** A CREATING session becomes CREATED this long after seeding. */
  creatingRemainingMs: [5_000, 45_000],
  /** ... and IDLE this long after that (also a CREATED session's remaining time). */
  createdMs: [3_000, 30_000],
  /** A BUSY session's running calculation ends this long after seeding; the session goes IDLE. */
  busyRemainingMs: [10_000, 15 * MINUTE_MS],
} as const);

/** Timestamps of one demo session, in epoch ms, consistent with its state. */
function timelineFor(state: SessionState, now: number, random: DemoRandom) {
  switch (state) {
    case 'CREATING':
      return { start: now - random.integer(5_000, 90_000) };
    case 'CREATED': {
      const start = now - random.integer(30_000, 4 * MINUTE_MS);
      return { start, lastModified: start + random.integer(10_000, 25_000) };
    }
    case 'IDLE': {
      const start = now - random.integer(20 * MINUTE_MS, 6 * DAY_MS);
      const idleSince = now - random.integer(MINUTE_MS, Math.min(now - start, 3 * HOUR_MS));
      return { start, lastModified: idleSince };
    }
    case 'BUSY': {
      const start = now - random.integer(10 * MINUTE_MS, 5 * DAY_MS);
      return { start, lastModified: now - random.integer(5_000, Math.min(now - start, 45 * MINUTE_MS)) };
    }
    case 'DEGRADED': {
      const start = now - random.integer(HOUR_MS, 3 * DAY_MS);
      return { start, lastModified: now - random.integer(MINUTE_MS, HOUR_MS) };
    }
    case 'TERMINATING': {
      const start = now - random.integer(HOUR_MS, 2 * DAY_MS);
      return { start, lastModified: now - random.integer(1_000, 20_000) };
    }
    case 'TERMINATED':
    case 'FAILED': {
      const start = now - random.integer(2 * HOUR_MS, 7 * DAY_MS);
      const end = Math.min(now - MINUTE_MS, start + random.integer(5 * MINUTE_MS, 9 * HOUR_MS));
      return { start, lastModified: end, end };
    }
  }
}

function reasonFor(state: SessionState, random: DemoRandom): string | undefined {
  switch (state) {
    case 'TERMINATED':
      return random.fraction() < 0.6
        ? 'Session was terminated due to idle timeout'
        : 'Session was terminated by a TerminateSession request';
    case 'TERMINATING':
      return 'Session was terminated by a TerminateSession request';
    case 'FAILED':
      return random.pick(FAILED_REASONS);
    case 'DEGRADED':
      return 'Session has no healthy coordinators';
    default:
      return undefined;
  }
}

function dpuMillisFor(state: SessionState, random: DemoRandom): number {
  if (state === 'CREATING' || state === 'CREATED') return 0;
  // A few long-running sessions pass 2^32 ms, so clients must treat the value as 64-bit.
  if (random.fraction() < 0.03) return random.integer(5_000_000_000, 9_000_000_000_000);
  return random.integer(30_000, 900_000_000);
}

/** Fills the store with the demo work groups and sessions. */
export function seedDemoData(
  store: SessionStore,
  seed: number = DEMO_SEED,
  options: DemoSeedOptions = {},
): DemoSeedSummary {
  const random = new DemoRandom(seed);
  // Streams of their own, so that the sessions stay the same whatever the calculations and the
  // live mode draw.
  const calculationRandom = new DemoRandom(seed + 1);
  const liveRandom = options.live ? new DemoRandom(seed + 2) : undefined;
  const now = store.clock.now();
  let sessionCount = 0;
  for (const plan of PLANS) {
    const executionRole = `arn:aws:iam::${ACCOUNT_ID}:role/service-role/AWSAthenaSparkExecutionRole-${plan.name}`;
    store.createWorkGroup(plan.name, {
      engineVersion: plan.engineVersion,
      description: plan.description,
      creationTime: now - plan.createdDaysAgo * DAY_MS,
      ...(plan.state ? { state: plan.state } : {}),
      executionRole,
      outputLocation: `s3://${plan.bucket}/${plan.name}/sessions/`,
      ...(plan.encryption ? { encryptionConfiguration: plan.encryption } : {}),
    });
    for (const [state, count] of Object.entries(plan.sessions) as [SessionState, number][]) {
      for (let index = 0; index < count; index += 1) {
        const sessionSeed = demoSession(plan, state, executionRole, now, random);
        if (liveRandom) makeLive(sessionSeed, now, liveRandom);
        const session = store.addSession(sessionSeed);
        addDemoCalculations(store, session, now, calculationRandom, liveRandom);
        sessionCount += 1;
      }
    }
  }
  if (!options.live) return { workGroups: [...DEMO_WORK_GROUPS], sessionCount };
  const primary = PLANS[0] as DemoWorkGroupPlan;
  const watched = store.listSessionsPage({ workGroup: primary.name, stateFilter: 'IDLE', limit: 1 }).sessions[0];
  store.addScheduledActivity(
    new DemoActivity({
      startAt: now,
      seed: seed + 3,
      workGroup: primary.name,
      executionRole: `arn:aws:iam::${ACCOUNT_ID}:role/service-role/AWSAthenaSparkExecutionRole-${primary.name}`,
      outputLocation: `s3://${primary.bucket}/${primary.name}/sessions/`,
      watchedSessionId: watched?.sessionId,
      descriptions: primary.descriptions,
      calculations: CALCULATION_CHOICES,
    }),
  );
  return { workGroups: [...DEMO_WORK_GROUPS], sessionCount, watchedSessionId: watched?.sessionId };
}

/**
 * Live mode: a session that is starting, busy or terminating moves on from the seed's now. It
 * never idles out (like the pinned ones), so primary keeps its active count; the sessions
 * demo-activity.ts starts do idle out.
 */
function makeLive(seed: SessionSeed, now: number, random: DemoRandom): void {
  const start = toMillis(seed.startDateTime ?? now);
  const lastModified = toMillis(seed.lastModifiedDateTime ?? start);
  switch (seed.state) {
    case 'CREATING':
      seed.pinned = false;
      seed.stateEnteredAt = start;
      seed.creatingMs = now - start + random.integer(...LIVE_SEED_TIMINGS.creatingRemainingMs);
      seed.createdMs = random.integer(...LIVE_SEED_TIMINGS.createdMs);
      break;
    case 'CREATED':
      seed.pinned = false;
      seed.stateEnteredAt = lastModified;
      seed.createdMs = now - lastModified + random.integer(...LIVE_SEED_TIMINGS.createdMs);
      break;
    case 'BUSY':
      // The session goes IDLE when its running calculation (addDemoCalculations) ends.
      seed.pinned = false;
      seed.stateEnteredAt = lastModified;
      break;
    case 'TERMINATING':
      seed.pinned = false;
      seed.stateEnteredAt = lastModified;
      break;
    default:
      break;
  }
}

function toMillis(time: number | Date): number {
  return typeof time === 'number' ? time : time.getTime();
}

const CALCULATION_CHOICES: readonly { description: string; code: string }[] = [
  { description: 'Row count of the raw events', code: "spark.table('raw.events').count()" },
  {
    description: 'Daily revenue aggregate',
    code: "df = spark.table('sales.orders')\ndf.groupBy('order_date').sum('amount').show()",
  },
  { description: 'Write features to Iceberg', code: "features.writeTo('ml.features').overwritePartitions()" },
  { description: 'Schema check', code: "spark.table('raw.events').printSchema()" },
  {
    description: 'Deduplicate customers',
    code: "customers.dropDuplicates(['email']).write.mode('overwrite').saveAsTable('clean.customers')",
  },
  { description: 'Validate input', code: "if df.count() == 0:\n    raise ValueError('no input rows')" },
];

/**
 * Gives a demo session a history of calculations and, when BUSY, one still running. Spark 3.5
 * sessions have none: they run code through Spark Connect.
 */
function addDemoCalculations(
  store: SessionStore,
  session: SessionView,
  now: number,
  random: DemoRandom,
  liveRandom: DemoRandom | undefined,
): void {
  if (isSparkConnectEngineVersion(session.engineVersion.effective)) return;
  const state = session.status.state;
  if (state === 'CREATING' || state === 'CREATED') return;
  const historyEnd = session.status.endDateTime ?? session.status.lastModifiedDateTime;
  let submittedAt = session.status.startDateTime + random.integer(30_000, 5 * MINUTE_MS);
  const count = random.integer(0, 5);
  for (let index = 0; index < count; index += 1) {
    const runningMs = random.integer(2_000, 20 * MINUTE_MS);
    if (submittedAt + runningMs + 1_000 >= historyEnd) break;
    const choice = random.pick(CALCULATION_CHOICES);
    store.addCalculation({
      sessionId: session.sessionId,
      calculationExecutionId: random.uuid(),
      description: choice.description,
      codeBlock: choice.code,
      submittedAt,
      waitMs: 1_000,
      runningMs,
    });
    submittedAt += runningMs + random.integer(5_000, 30 * MINUTE_MS);
  }
  if (state === 'BUSY') {
    // Submitted when the session went BUSY. Static: it runs while the session stays pinned. Live:
    // it ends within minutes and the session goes IDLE then. (The draw stays, so that the
    // sessions after it are the same in both modes.)
    const busySince = session.status.lastModifiedDateTime;
    random.integer(HOUR_MS, 12 * HOUR_MS);
    const remainingMs = liveRandom ? liveRandom.integer(...LIVE_SEED_TIMINGS.busyRemainingMs) : PINNED_CALCULATION_MS;
    store.addCalculation({
      sessionId: session.sessionId,
      calculationExecutionId: random.uuid(),
      description: 'Long-running backfill',
      codeBlock: "spark.sql('INSERT INTO warehouse.events SELECT * FROM raw.events')",
      submittedAt: busySince,
      waitMs: 1_000,
      runningMs: now - busySince - 1_000 + remainingMs,
    });
  }
}

function demoSession(
  plan: DemoWorkGroupPlan,
  state: SessionState,
  executionRole: string,
  now: number,
  random: DemoRandom,
): SessionSeed {
  const sessionId = random.uuid();
  const timeline = timelineFor(state, now, random);
  const isNotebook = random.fraction() < 0.35;
  const hasDescription = random.fraction() < 0.93;
  const description = random.pick(plan.descriptions);
  const sparkProperties = random.pick(SPARK_PROPERTY_CHOICES);
  const seed: SessionSeed = {
    workGroup: plan.name,
    sessionId,
    state,
    stateChangeReason: reasonFor(state, random),
    engineVersion: plan.engineVersion,
    engineConfiguration: {
      coordinatorDpuSize: 1,
      defaultExecutorDpuSize: 1,
      maxConcurrentDpus: random.pick(MAX_CONCURRENT_DPU_CHOICES),
      sparkProperties: { ...sparkProperties },
      additionalConfigs: isNotebook
        ? { NotebookId: random.uuid() }
        : { 'athena.spark.python.packages': 'pandas==2.2.2,pyarrow==16.1.0' },
    },
    executionRole,
    workingDirectory: `s3://${plan.bucket}/${plan.name}/sessions/${sessionId}/`,
    sessionIdleTimeoutInMinutes: random.pick(IDLE_TIMEOUT_MINUTE_CHOICES),
    tags: [{ key: 'team', value: random.pick(TEAMS) }],
    startDateTime: timeline.start,
    lastModifiedDateTime: timeline.lastModified ?? timeline.start,
    dpuExecutionInMillis: dpuMillisFor(state, random),
    pinned: true,
    idleTimeoutMs: null,
  };
  if (hasDescription) seed.description = description;
  if (isNotebook) seed.notebookVersion = 'Athena notebook version 1';
  if (timeline.end !== undefined) seed.endDateTime = timeline.end;
  if (random.fraction() < 0.25) {
    seed.monitoringConfiguration = {
      CloudWatchLoggingConfiguration: {
        Enabled: true,
        LogGroup: `/aws/athena/spark/${plan.name}`,
        LogStreamNamePrefix: sessionId.slice(0, 8),
      },
      ManagedLoggingConfiguration: { Enabled: true },
    };
  }
  return seed;
}
