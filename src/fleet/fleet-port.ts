// The port the gateway uses when REDIS_URL is set: reads go through the fleet (SharedReads) and
// writes make what they change stale on every replica before they answer. Whenever Redis cannot
// help, the same call goes to this process's own caching port, the one a single replica uses, so
// a replica without Redis behaves exactly as a gateway without REDIS_URL.

import type {
  AthenaPort,
  CallOptions,
  ImmutableSessionRead,
  ListCalculationsInput,
  ListSessionsInput,
  ListWorkGroupsInput,
  SessionDetails,
  SessionPage,
  SessionStatusResult,
  StartCalculationInput,
  StartSessionInput,
  WorkGroupPage,
  WorkGroupSummary,
} from '../athena/port.js';
import { type ImmutableSessionFields, immutableFieldsOf } from '../athena/session-fields.js';
import type { RedisLink } from './redis-link.js';
import type { SharedReads } from './shared-reads.js';

/** The in-process port: the caching port over the same resilient port. */
export type LocalPort = AthenaPort;

export interface FleetPortOptions {
  link: RedisLink;
  reads: SharedReads;
  /** Where a replica's own upstream calls go (the resilient port). */
  direct: AthenaPort;
  /** Makes the in-process caching port; a fresh one each time Redis comes or goes, so nothing cached in another period is served. */
  local: () => LocalPort;
  /** CACHE_TTL_MS; 0 also turns the shared immutable-field cache off. */
  ttlMs: number;
}

/** What never changes is kept this long in Redis (bounded memory; a session rarely lives longer). */
const IMMUTABLE_TTL_MS = 6 * 3_600_000;
/**
 * A round trip to Redis is slow when it takes longer than twice an upstream call here (measured in
 * this process, so a busy event loop, which delays Redis's answers as much, raises it too), within
 * a floor and a ceiling. It starts from a typical Athena answer.
 */
const MIN_SLOW_REDIS_MS = 250;
const MAX_SLOW_REDIS_MS = 1_000;
const TYPICAL_UPSTREAM_MS = 250;

export class FleetAthenaPort implements AthenaPort {
  readonly #link: RedisLink;
  readonly #reads: SharedReads;
  readonly #direct: AthenaPort;
  readonly #makeLocal: () => LocalPort;
  readonly #ttlMs: number;
  #local: LocalPort;
  /** Moving average of upstream call durations: what a read would cost without Redis. */
  #upstreamMs = TYPICAL_UPSTREAM_MS;

  constructor(options: FleetPortOptions) {
    this.#link = options.link;
    this.#reads = options.reads;
    this.#direct = options.direct;
    this.#makeLocal = options.local;
    this.#ttlMs = options.ttlMs;
    this.#local = options.local();
    this.#link.onStateChange(() => {
      this.#local = this.#makeLocal();
    });
  }

  /**
   * When a round trip to Redis counts as slow: on the scale of the upstream call itself, so that a
   * slow Redis, bypassed once measured slow, never costs operations much more than going to Athena.
   */
  slowRedisMs(): number {
    return Math.min(MAX_SLOW_REDIS_MS, Math.max(MIN_SLOW_REDIS_MS, 2 * this.#upstreamMs));
  }

  getSessionStatus(sessionId: string, options?: CallOptions): Promise<SessionStatusResult> {
    return this.#reads.read<SessionStatusResult>(
      {
        cache: 'status',
        operation: 'GetSessionStatus',
        key: sessionId,
        scopes: sessionScopes(sessionId),
        fetch: (signal) => this.#timed(() => this.#direct.getSessionStatus(sessionId, { signal })),
      },
      options?.signal,
      () => this.#local.getSessionStatus(sessionId, options),
    );
  }

  getSession(sessionId: string, options?: CallOptions): Promise<SessionDetails> {
    return this.#reads.read<SessionDetails>(
      {
        cache: 'details',
        operation: 'GetSession',
        key: sessionId,
        scopes: sessionScopes(sessionId),
        fetch: async (signal) => {
          const details = await this.#timed(() => this.#direct.getSession(sessionId, { signal }));
          if (this.#ttlMs > 0) this.#reads.keep('immutable', sessionId, immutableFieldsOf(details), IMMUTABLE_TTL_MS);
          return details;
        },
        // A GetSession answers the session's status as well.
        alsoCaches: (details) => [
          [`status:${sessionId}`, { sessionId, status: details.status } satisfies SessionStatusResult],
        ],
      },
      options?.signal,
      () => this.#local.getSession(sessionId, options),
    );
  }

  async getImmutableSession(sessionId: string, options?: CallOptions): Promise<ImmutableSessionRead> {
    if (!this.#link.usable) return this.#local.getImmutableSession(sessionId, options);
    if (this.#ttlMs > 0) {
      const fields = await this.#reads.peek<ImmutableSessionFields>('immutable', sessionId);
      if (fields !== undefined) return { fields };
    }
    const details = await this.getSession(sessionId, options);
    return { fields: immutableFieldsOf(details), details };
  }

  listSessions(input: ListSessionsInput, options?: CallOptions): Promise<SessionPage> {
    return this.#reads.read<SessionPage>(
      {
        cache: 'list',
        operation: 'ListSessions',
        key: JSON.stringify([input.workGroup, input.stateFilter ?? '', input.maxResults ?? '', input.nextToken ?? '']),
        scopes: [workGroupScope(input.workGroup), ALL_LISTS],
        fetch: (signal) => this.#timed(() => this.#direct.listSessions(input, { signal })),
      },
      options?.signal,
      () => this.#local.listSessions(input, options),
    );
  }

  async terminateSession(sessionId: string, options?: CallOptions) {
    // As in one process: stale before the call is sent, and again once it answered, so nothing
    // read while Athena was processing it survives; both times on every replica.
    const scopes = await this.#writeScopes(sessionId);
    await this.#reads.invalidate(scopes);
    try {
      return await this.#local.terminateSession(sessionId, options);
    } finally {
      await this.#reads.invalidate(scopes);
    }
  }

  async startSession(input: StartSessionInput, options?: CallOptions) {
    try {
      return await this.#local.startSession(input, options);
    } finally {
      // The new session belongs in its work group's pages from now on, on every replica.
      await this.#reads.invalidate([workGroupScope(input.workGroup)]);
    }
  }

  async startCalculationExecution(input: StartCalculationInput, options?: CallOptions) {
    try {
      return await this.#local.startCalculationExecution(input, options);
    } finally {
      // A calculation makes an idle session busy.
      await this.#reads.invalidate(await this.#writeScopes(input.sessionId));
    }
  }

  getCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    return this.#local.getCalculationExecution(calculationExecutionId, options);
  }

  // Calculations are cached per replica for now (not yet shared through Redis): their reads and
  // the invalidation after a stop stay in this process, as without REDIS_URL.
  getCalculationExecutionStatus(calculationExecutionId: string, options?: CallOptions) {
    return this.#local.getCalculationExecutionStatus(calculationExecutionId, options);
  }

  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions) {
    return this.#local.getCalculationExecutionCode(calculationExecutionId, options);
  }

  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions) {
    return this.#local.listCalculationExecutions(input, options);
  }

  stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    return this.#local.stopCalculationExecution(calculationExecutionId, options);
  }

  /** Never cached nor shared (its auth token is for its caller only): straight through. */
  getSessionEndpoint(sessionId: string, options?: CallOptions) {
    return this.#local.getSessionEndpoint(sessionId, options);
  }

  // Work groups change rarely and are cached per replica for now (not yet shared through Redis).
  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions): Promise<WorkGroupPage> {
    return this.#local.listWorkGroups(input, options);
  }

  getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary> {
    return this.#local.getWorkGroup(name, options);
  }

  /** The session, and its work group's pages (every work group's when the fleet does not know it). */
  async #writeScopes(sessionId: string): Promise<string[]> {
    const known = this.#ttlMs > 0 ? await this.#reads.peek<ImmutableSessionFields>('immutable', sessionId) : undefined;
    return [...sessionScopes(sessionId), known?.workGroup !== undefined ? workGroupScope(known.workGroup) : ALL_LISTS];
  }

  async #timed<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.#upstreamMs = 0.8 * this.#upstreamMs + 0.2 * (performance.now() - started);
    }
  }
}

const ALL_LISTS = 'lists';
const sessionScopes = (sessionId: string) => [`s:${sessionId}`];
const workGroupScope = (workGroup: string) => `wg:${workGroup}`;
