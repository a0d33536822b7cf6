// The port the gateway uses when REDIS_URL is set: reads go through the fleet (SharedReads) and
// writes make what they change stale on every replica before they answer. Whenever Redis cannot
// help, the same call goes to this process's own caching port, the one a single replica uses, so
// a replica without Redis behaves exactly as a gateway without REDIS_URL.

import type {
  AthenaPort,
  Calculation,
  CalculationPage,
  CalculationStatusResult,
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
    // read while Athena was processing it survives; both times on every replica. A terminate stops
    // the session's calculations too.
    const scopes = [...(await this.#writeScopes(sessionId)), CALCULATION_STATES, calculationListScope(sessionId)];
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
      const started = await this.#local.startCalculationExecution(input, options);
      this.#keepCalculationSession(started.calculationExecutionId, input.sessionId);
      return started;
    } finally {
      // A calculation makes an idle session busy, and belongs in its session's list from now on
      // (the caching port drops the session's calculations' state as well, and so does the fleet).
      await this.#reads.invalidate([
        ...(await this.#writeScopes(input.sessionId)),
        CALCULATION_STATES,
        calculationListScope(input.sessionId),
      ]);
    }
  }

  getCalculationExecution(calculationExecutionId: string, options?: CallOptions): Promise<Calculation> {
    return this.#reads.read<Calculation>(
      {
        cache: 'calculation-details',
        operation: 'GetCalculationExecution',
        key: calculationExecutionId,
        scopes: calculationScopes(calculationExecutionId),
        fetch: async (signal) => {
          const calculation = await this.#timed(() =>
            this.#direct.getCalculationExecution(calculationExecutionId, { signal }),
          );
          if (calculation.sessionId !== undefined)
            this.#keepCalculationSession(calculationExecutionId, calculation.sessionId);
          return calculation;
        },
        // A GetCalculationExecution answers the calculation's status (with statistics) as well.
        alsoCaches: ({ status, statistics }) => [
          [
            `calculation-status:${calculationExecutionId}`,
            { calculationExecutionId, status, statistics } satisfies CalculationStatusResult,
          ],
        ],
      },
      options?.signal,
      () => this.#local.getCalculationExecution(calculationExecutionId, options),
    );
  }

  getCalculationExecutionStatus(
    calculationExecutionId: string,
    options?: CallOptions,
  ): Promise<CalculationStatusResult> {
    return this.#reads.read<CalculationStatusResult>(
      {
        cache: 'calculation-status',
        operation: 'GetCalculationExecutionStatus',
        key: calculationExecutionId,
        scopes: calculationScopes(calculationExecutionId),
        fetch: (signal) =>
          this.#timed(() => this.#direct.getCalculationExecutionStatus(calculationExecutionId, { signal })),
      },
      options?.signal,
      () => this.#local.getCalculationExecutionStatus(calculationExecutionId, options),
    );
  }

  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions): Promise<string> {
    return this.#reads.read<string>(
      {
        cache: 'calculation-code',
        operation: 'GetCalculationExecutionCode',
        key: calculationExecutionId,
        // A calculation's code never changes: no write makes it stale, and it is kept like immutable fields.
        scopes: [],
        ttlMs: this.#ttlMs > 0 ? IMMUTABLE_TTL_MS : 0,
        fetch: (signal) =>
          this.#timed(() => this.#direct.getCalculationExecutionCode(calculationExecutionId, { signal })),
      },
      options?.signal,
      () => this.#local.getCalculationExecutionCode(calculationExecutionId, options),
    );
  }

  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions): Promise<CalculationPage> {
    return this.#reads.read<CalculationPage>(
      {
        cache: 'calculation-list',
        operation: 'ListCalculationExecutions',
        key: JSON.stringify([input.sessionId, input.stateFilter ?? '', input.maxResults ?? '', input.nextToken ?? '']),
        scopes: [calculationListScope(input.sessionId), ALL_CALCULATION_LISTS],
        fetch: async (signal) => {
          const page = await this.#timed(() => this.#direct.listCalculationExecutions(input, { signal }));
          for (const calculation of page.calculations)
            this.#keepCalculationSession(calculation.calculationExecutionId, input.sessionId);
          return page;
        },
      },
      options?.signal,
      () => this.#local.listCalculationExecutions(input, options),
    );
  }

  async stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    // As terminateSession: nothing from before the stop is served, before or after the call, on
    // any replica. A stop frees the session for the next calculation, so its state goes too.
    const sessionId =
      this.#ttlMs > 0 ? await this.#reads.peek<string>('calculation-session', calculationExecutionId) : undefined;
    const scopes = [
      ...calculationScopes(calculationExecutionId),
      ...(sessionId === undefined
        ? [ALL_CALCULATION_LISTS]
        : [...(await this.#writeScopes(sessionId)), calculationListScope(sessionId)]),
    ];
    await this.#reads.invalidate(scopes);
    try {
      return await this.#local.stopCalculationExecution(calculationExecutionId, options);
    } finally {
      await this.#reads.invalidate(scopes);
    }
  }

  /** Never cached nor shared (its auth token is for its caller only): straight through. */
  getSessionEndpoint(sessionId: string, options?: CallOptions) {
    return this.#local.getSessionEndpoint(sessionId, options);
  }

  // No write of the gateway changes a work group: these answers only age out, as in one process.
  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions): Promise<WorkGroupPage> {
    return this.#reads.read<WorkGroupPage>(
      {
        cache: 'workGroups',
        operation: 'ListWorkGroups',
        key: JSON.stringify(['list', input.maxResults ?? '', input.nextToken ?? '']),
        scopes: [],
        fetch: (signal) => this.#timed(() => this.#direct.listWorkGroups(input, { signal })),
      },
      options?.signal,
      () => this.#local.listWorkGroups(input, options),
    );
  }

  getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary> {
    return this.#reads.read<WorkGroupSummary>(
      {
        cache: 'workGroups',
        operation: 'GetWorkGroup',
        key: JSON.stringify(['get', name]),
        scopes: [],
        fetch: (signal) => this.#timed(() => this.#direct.getWorkGroup(name, { signal })),
      },
      options?.signal,
      () => this.#local.getWorkGroup(name, options),
    );
  }

  /** Which session a calculation belongs to never changes: kept so that a stop on any replica knows what else it makes stale. */
  #keepCalculationSession(calculationExecutionId: string, sessionId: string): void {
    if (this.#ttlMs > 0) this.#reads.keep('calculation-session', calculationExecutionId, sessionId, IMMUTABLE_TTL_MS);
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
/**
 * Every calculation's status and details: a calculation read does not know its session before
 * its call, so a write that changes a session's calculations (a terminate, a start, a stop) makes
 * them all stale, fleet-wide. Coarse, but writes are rare and a stale calculation state is not.
 */
const CALCULATION_STATES = 'calculations';
const ALL_CALCULATION_LISTS = 'calculation-lists';
const calculationScopes = (calculationExecutionId: string) => [`c:${calculationExecutionId}`, CALCULATION_STATES];
const calculationListScope = (sessionId: string) => `cl:${sessionId}`;
const sessionScopes = (sessionId: string) => [`s:${sessionId}`];
const workGroupScope = (workGroup: string) => `wg:${workGroup}`;
