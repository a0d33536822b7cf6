// Sharing and caching across requests, as an AthenaPort decorator. Per-request loaders remove
// repeats inside one operation; this layer removes them between operations:
// - identical reads in flight at the same time become one upstream call (always on, even with
//   CACHE_TTL_MS=0: fifty clients polling one session cost one GetSessionStatus);
// - what never changes during a session's life (engine and session configuration, versions, work
//   group, description) is kept in a bounded LRU and answered without a call;
// - status, statistics and list pages (of sessions and of work groups, and GetWorkGroup answers)
//   are served again only within `ttlMs` of when their call was sent, and never once this gateway has terminated (or otherwise changed) the session: writes
//   through this port drop what they make stale, including reads still in flight.
// - calculations follow the same rules: their status (with statistics), details and list pages
//   within `ttlMs`, dropped when this gateway starts or stops one (or terminates its session); their
//   code never changes and is kept like immutable session fields;
// - the Spark Connect endpoint is never cached nor shared: its answer carries a secret token, and
//   each request must get its own from Athena.
// Every cache is an LRU with a fixed number of entries, so memory is bounded whatever the traffic.
import { LRUCache } from 'lru-cache';
import { MAX_CACHED_PAGES, MAX_CACHED_SESSIONS } from '../security/limits.js';
import {
  AthenaError,
  type AthenaOperation,
  type AthenaPort,
  type Calculation,
  type CalculationPage,
  type CalculationStatusResult,
  type CallOptions,
  type ImmutableSessionRead,
  type ListCalculationsInput,
  type ListSessionsInput,
  type ListWorkGroupsInput,
  type SessionDetails,
  type SessionPage,
  type SessionStatusResult,
  type StartCalculationInput,
  type StartSessionInput,
  type WorkGroupPage,
  type WorkGroupSummary,
} from './port.js';
import { type ImmutableSessionFields, immutableFieldsOf } from './session-fields.js';

export type CacheName =
  | 'details'
  | 'status'
  | 'list'
  | 'immutable'
  | 'calculation-details'
  | 'calculation-status'
  | 'calculation-list'
  | 'calculation-code'
  | 'workGroups';
/** hit: answered from memory; miss: an upstream call was made; shared: joined an identical call in flight. */
export type CacheOutcome = 'hit' | 'miss' | 'shared';

export interface CacheEvent {
  cache: CacheName;
  outcome: CacheOutcome;
}

export interface CachingPortOptions {
  /** CACHE_TTL_MS: how long a status, statistics or list page may be served again; 0 turns every cache off. */
  ttlMs: number;
  /** Sessions remembered per cache (details, status, immutable fields). */
  maxSessions?: number | undefined;
  /** ListSessions pages remembered (each up to 100 rows); as many work-group pages and GetWorkGroup answers again. */
  maxPages?: number | undefined;
  /** Monotonic milliseconds; tests inject a clock they move by hand. */
  now?: (() => number) | undefined;
  /** Observes every cached read: metrics hang here. */
  onCacheEvent?: ((event: CacheEvent) => void) | undefined;
}

export type CacheStats = Record<CacheName, Record<CacheOutcome, number>> & {
  entries: {
    details: number;
    status: number;
    list: number;
    immutable: number;
    workGroups: number;
    inFlight: number;
    calculationDetails: number;
    calculationStatus: number;
    calculationList: number;
    calculationCode: number;
  };
};

/** Calculation code is up to 68,000 characters, so its cache is bounded by size, not count. */
export const MAX_CACHED_CODE_CHARACTERS = 4_000_000;

interface Fetched<T> {
  value: T;
  /** When the call that fetched it was sent: the answer is at most this old. */
  sentAt: number;
}

interface CachedPage extends Fetched<SessionPage> {
  workGroup: string;
}

interface CachedCalculationPage extends Fetched<CalculationPage> {
  sessionId: string;
}

interface SharedCall {
  promise: Promise<unknown>;
  controller: AbortController;
  /** Callers still waiting; when the last one leaves (its signal aborted), the call is aborted. */
  waiters: number;
  /** Set when a write made the answer stale before it arrived: it goes to those already waiting, never to a cache. */
  detached: boolean;
  /** For ListSessions calls, the work group listed; for ListCalculationExecutions, the session. */
  workGroup?: string | undefined;
}

const CACHE_NAMES: readonly CacheName[] = [
  'details',
  'status',
  'list',
  'immutable',
  'calculation-details',
  'calculation-status',
  'calculation-list',
  'calculation-code',
  'workGroups',
];

export class CachingAthenaPort implements AthenaPort {
  readonly #inner: AthenaPort;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onCacheEvent: CachingPortOptions['onCacheEvent'];
  readonly #details: LRUCache<string, Fetched<SessionDetails>>;
  readonly #statuses: LRUCache<string, Fetched<SessionStatusResult>>;
  readonly #pages: LRUCache<string, CachedPage>;
  readonly #immutable: LRUCache<string, ImmutableSessionFields>;
  readonly #calculationDetails: LRUCache<string, Fetched<Calculation>>;
  readonly #calculationStatuses: LRUCache<string, Fetched<CalculationStatusResult>>;
  readonly #calculationPages: LRUCache<string, CachedCalculationPage>;
  readonly #calculationCode: LRUCache<string, string>;
  /** The session of each calculation seen: to drop a session's calculations, and a calculation's session's pages. */
  readonly #calculationSessions: LRUCache<string, string>;
  /** ListWorkGroups pages and GetWorkGroup answers: a work group's state and description can change, so they age like list pages. */
  readonly #workGroups: LRUCache<string, Fetched<WorkGroupPage | WorkGroupSummary>>;
  /** Bounded by the calls in flight, each of which has a waiting caller. */
  readonly #inFlight = new Map<string, SharedCall>();
  readonly #counts = Object.fromEntries(CACHE_NAMES.map((name) => [name, { hit: 0, miss: 0, shared: 0 }])) as Record<
    CacheName,
    Record<CacheOutcome, number>
  >;

  constructor(inner: AthenaPort, options: CachingPortOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0)
      throw new RangeError(`ttlMs must be >= 0, got ${options.ttlMs}`);
    this.#inner = inner;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onCacheEvent = options.onCacheEvent;
    const maxSessions = options.maxSessions ?? MAX_CACHED_SESSIONS;
    this.#details = new LRUCache({ max: maxSessions });
    this.#statuses = new LRUCache({ max: maxSessions });
    this.#immutable = new LRUCache({ max: maxSessions });
    this.#pages = new LRUCache({ max: options.maxPages ?? MAX_CACHED_PAGES });
    this.#calculationDetails = new LRUCache({ max: maxSessions });
    this.#calculationStatuses = new LRUCache({ max: maxSessions });
    this.#calculationSessions = new LRUCache({ max: maxSessions });
    this.#calculationPages = new LRUCache({ max: options.maxPages ?? MAX_CACHED_PAGES });
    this.#calculationCode = new LRUCache({
      maxSize: MAX_CACHED_CODE_CHARACTERS,
      sizeCalculation: (code) => Math.max(1, code.length),
    });
    this.#workGroups = new LRUCache({ max: options.maxPages ?? MAX_CACHED_PAGES });
  }

  /** Counts of cache outcomes since start, and how many entries each cache holds now. */
  stats(): CacheStats {
    const counts = Object.fromEntries(CACHE_NAMES.map((name) => [name, { ...this.#counts[name] }])) as Record<
      CacheName,
      Record<CacheOutcome, number>
    >;
    return {
      ...counts,
      entries: {
        details: this.#details.size,
        status: this.#statuses.size,
        list: this.#pages.size,
        immutable: this.#immutable.size,
        workGroups: this.#workGroups.size,
        inFlight: this.#inFlight.size,
        calculationDetails: this.#calculationDetails.size,
        calculationStatus: this.#calculationStatuses.size,
        calculationList: this.#calculationPages.size,
        calculationCode: this.#calculationCode.size,
      },
    };
  }

  /** Forgets every cached answer; calls in flight still answer those waiting, but no one joins them and nothing keeps them. */
  clear(): void {
    this.#details.clear();
    this.#statuses.clear();
    this.#pages.clear();
    this.#immutable.clear();
    this.#calculationDetails.clear();
    this.#calculationStatuses.clear();
    this.#calculationPages.clear();
    this.#calculationCode.clear();
    this.#calculationSessions.clear();
    this.#workGroups.clear();
    this.#detachInFlight(() => true);
  }

  getSession(sessionId: string, options?: CallOptions): Promise<SessionDetails> {
    const cached = this.#fresh(this.#details, sessionId);
    if (cached !== undefined) {
      this.#record('details', 'hit');
      return Promise.resolve(cached);
    }
    return this.#share(
      'details',
      'GetSession',
      sessionId,
      options,
      (signal) => this.#inner.getSession(sessionId, { signal }),
      (details, sentAt) => this.#rememberDetails(details, sentAt),
    );
  }

  getSessionStatus(sessionId: string, options?: CallOptions): Promise<SessionStatusResult> {
    const cached = this.#fresh(this.#statuses, sessionId);
    if (cached !== undefined) {
      this.#record('status', 'hit');
      return Promise.resolve(cached);
    }
    return this.#share(
      'status',
      'GetSessionStatus',
      sessionId,
      options,
      (signal) => this.#inner.getSessionStatus(sessionId, { signal }),
      (result, sentAt) => {
        if (this.#ttlMs > 0) this.#statuses.set(sessionId, { value: result, sentAt });
      },
    );
  }

  getImmutableSession(sessionId: string, options?: CallOptions): Promise<ImmutableSessionRead> {
    const known = this.#ttlMs > 0 ? this.#immutable.get(sessionId) : undefined;
    if (known !== undefined) {
      this.#record('immutable', 'hit');
      return Promise.resolve({ fields: known });
    }
    this.#record('immutable', 'miss');
    return this.getSession(sessionId, options).then((details) => ({ fields: immutableFieldsOf(details), details }));
  }

  listSessions(input: ListSessionsInput, options?: CallOptions): Promise<SessionPage> {
    const key = JSON.stringify([
      input.workGroup,
      input.stateFilter ?? '',
      input.maxResults ?? '',
      input.nextToken ?? '',
    ]);
    const cached = this.#fresh(this.#pages, key);
    if (cached !== undefined) {
      this.#record('list', 'hit');
      return Promise.resolve(cached);
    }
    return this.#share(
      'list',
      'ListSessions',
      key,
      options,
      (signal) => this.#inner.listSessions(input, { signal }),
      (page, sentAt) => {
        if (this.#ttlMs > 0) this.#pages.set(key, { value: page, sentAt, workGroup: input.workGroup });
      },
      input.workGroup,
    );
  }

  async terminateSession(sessionId: string, options?: CallOptions) {
    // Before: nothing fetched earlier is served once the call is on its way. After: nothing read
    // while Athena was still processing it (and so possibly from before it) survives either.
    const workGroup = this.#workGroupOf(sessionId);
    this.#forgetSession(sessionId, workGroup);
    try {
      return await this.#inner.terminateSession(sessionId, options);
    } finally {
      this.#forgetSession(sessionId, workGroup);
    }
  }

  async startSession(input: StartSessionInput, options?: CallOptions) {
    try {
      return await this.#inner.startSession(input, options);
    } finally {
      // The new session belongs in its work group's list from now on.
      this.#forgetPages(input.workGroup);
    }
  }

  async startCalculationExecution(input: StartCalculationInput, options?: CallOptions) {
    try {
      const started = await this.#inner.startCalculationExecution(input, options);
      this.#calculationSessions.set(started.calculationExecutionId, input.sessionId);
      return started;
    } finally {
      // A calculation makes an idle session busy, and belongs in its session's list from now on.
      this.#forgetSession(input.sessionId, this.#workGroupOf(input.sessionId));
    }
  }

  getCalculationExecution(calculationExecutionId: string, options?: CallOptions): Promise<Calculation> {
    const cached = this.#fresh(this.#calculationDetails, calculationExecutionId);
    if (cached !== undefined) {
      this.#record('calculation-details', 'hit');
      return Promise.resolve(cached);
    }
    return this.#share(
      'calculation-details',
      'GetCalculationExecution',
      calculationExecutionId,
      options,
      (signal) => this.#inner.getCalculationExecution(calculationExecutionId, { signal }),
      (calculation, sentAt) => {
        if (calculation.sessionId !== undefined)
          this.#calculationSessions.set(calculationExecutionId, calculation.sessionId);
        if (this.#ttlMs === 0) return;
        this.#calculationDetails.set(calculationExecutionId, { value: calculation, sentAt });
        const { status, statistics } = calculation;
        this.#calculationStatuses.set(calculationExecutionId, {
          value: { calculationExecutionId, status, statistics },
          sentAt,
        });
      },
    );
  }

  getCalculationExecutionStatus(
    calculationExecutionId: string,
    options?: CallOptions,
  ): Promise<CalculationStatusResult> {
    const cached = this.#fresh(this.#calculationStatuses, calculationExecutionId);
    if (cached !== undefined) {
      this.#record('calculation-status', 'hit');
      return Promise.resolve(cached);
    }
    return this.#share(
      'calculation-status',
      'GetCalculationExecutionStatus',
      calculationExecutionId,
      options,
      (signal) => this.#inner.getCalculationExecutionStatus(calculationExecutionId, { signal }),
      (result, sentAt) => {
        if (this.#ttlMs > 0) this.#calculationStatuses.set(calculationExecutionId, { value: result, sentAt });
      },
    );
  }

  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions): Promise<string> {
    const known = this.#ttlMs > 0 ? this.#calculationCode.get(calculationExecutionId) : undefined;
    if (known !== undefined) {
      this.#record('calculation-code', 'hit');
      return Promise.resolve(known);
    }
    return this.#share(
      'calculation-code',
      'GetCalculationExecutionCode',
      calculationExecutionId,
      options,
      (signal) => this.#inner.getCalculationExecutionCode(calculationExecutionId, { signal }),
      (code) => {
        // The code of a calculation never changes, so it is kept without a TTL, like immutable session fields.
        if (this.#ttlMs > 0) this.#calculationCode.set(calculationExecutionId, code);
      },
    );
  }

  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions): Promise<CalculationPage> {
    const key = JSON.stringify([
      input.sessionId,
      input.stateFilter ?? '',
      input.maxResults ?? '',
      input.nextToken ?? '',
    ]);
    const cached = this.#fresh(this.#calculationPages, key);
    if (cached !== undefined) {
      this.#record('calculation-list', 'hit');
      return Promise.resolve(cached);
    }
    return this.#share(
      'calculation-list',
      'ListCalculationExecutions',
      key,
      options,
      (signal) => this.#inner.listCalculationExecutions(input, { signal }),
      (page, sentAt) => {
        for (const calculation of page.calculations)
          this.#calculationSessions.set(calculation.calculationExecutionId, input.sessionId);
        if (this.#ttlMs > 0) this.#calculationPages.set(key, { value: page, sentAt, sessionId: input.sessionId });
      },
      input.sessionId,
    );
  }

  async stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    // As terminateSession: nothing from before the stop is served, before or after the call.
    this.#forgetCalculation(calculationExecutionId);
    try {
      return await this.#inner.stopCalculationExecution(calculationExecutionId, options);
    } finally {
      this.#forgetCalculation(calculationExecutionId);
    }
  }

  getSessionEndpoint(sessionId: string, options?: CallOptions) {
    // Never cached nor shared: the answer carries an auth token that must reach only its caller.
    return this.#inner.getSessionEndpoint(sessionId, options);
  }

  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions): Promise<WorkGroupPage> {
    const key = JSON.stringify(['list', input.maxResults ?? '', input.nextToken ?? '']);
    return this.#readWorkGroups('ListWorkGroups', key, options, (signal) =>
      this.#inner.listWorkGroups(input, { signal }),
    );
  }

  getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary> {
    return this.#readWorkGroups('GetWorkGroup', JSON.stringify(['get', name]), options, (signal) =>
      this.#inner.getWorkGroup(name, { signal }),
    );
  }

  /** No write of this gateway changes a work group, so these answers only age out. */
  #readWorkGroups<T extends WorkGroupPage | WorkGroupSummary>(
    operation: AthenaOperation,
    key: string,
    options: CallOptions | undefined,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const cached = this.#fresh(this.#workGroups, key);
    if (cached !== undefined) {
      this.#record('workGroups', 'hit');
      return Promise.resolve(cached as T);
    }
    return this.#share('workGroups', operation, key, options, call, (value, sentAt) => {
      if (this.#ttlMs > 0) this.#workGroups.set(key, { value, sentAt });
    });
  }

  #fresh<Entry extends Fetched<unknown>>(cache: LRUCache<string, Entry>, key: string): Entry['value'] | undefined {
    if (this.#ttlMs === 0) return undefined;
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.sentAt < this.#ttlMs) return entry.value;
    cache.delete(key);
    return undefined;
  }

  #rememberDetails(details: SessionDetails, sentAt: number): void {
    if (this.#ttlMs === 0) return;
    this.#details.set(details.sessionId, { value: details, sentAt });
    this.#statuses.set(details.sessionId, { value: { sessionId: details.sessionId, status: details.status }, sentAt });
    this.#immutable.set(details.sessionId, immutableFieldsOf(details));
  }

  /**
   * Joins the identical call in flight, or makes it. The upstream call runs on a signal of its
   * own: one caller leaving (its client went away) rejects that caller only; the call is aborted
   * when every caller that can leave has left.
   */
  #share<T>(
    cache: CacheName,
    operation: AthenaOperation,
    key: string,
    options: CallOptions | undefined,
    call: (signal: AbortSignal) => Promise<T>,
    remember: (value: T, sentAt: number) => void,
    workGroup?: string,
  ): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(callerLeft(operation, signal));
    const flightKey = `${operation}\u0000${key}`;
    let shared = this.#inFlight.get(flightKey);
    if (shared !== undefined) {
      this.#record(cache, 'shared');
    } else {
      this.#record(cache, 'miss');
      const controller = new AbortController();
      const sentAt = this.#now();
      const created: SharedCall = { promise: Promise.resolve(), controller, waiters: 0, detached: false, workGroup };
      let upstream: Promise<T>;
      try {
        upstream = call(controller.signal);
      } catch (error) {
        upstream = Promise.reject(error);
      }
      created.promise = upstream.then(
        (value) => {
          if (this.#inFlight.get(flightKey) === created) this.#inFlight.delete(flightKey);
          if (!created.detached) remember(value, sentAt);
          return value;
        },
        (error: unknown) => {
          if (this.#inFlight.get(flightKey) === created) this.#inFlight.delete(flightKey);
          throw error;
        },
      );
      // Callers that left no longer listen; a late failure must not become an unhandled rejection.
      created.promise.catch(() => undefined);
      this.#inFlight.set(flightKey, created);
      shared = created;
    }
    return this.#wait(shared, flightKey, operation, signal) as Promise<T>;
  }

  #wait(
    shared: SharedCall,
    flightKey: string,
    operation: AthenaOperation,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    // A caller without a signal can never leave, so the call is never aborted under it.
    shared.waiters += 1;
    if (signal === undefined) return shared.promise;
    return new Promise((resolve, reject) => {
      const leave = () => {
        reject(callerLeft(operation, signal));
        shared.waiters -= 1;
        if (shared.waiters > 0) return;
        // Nobody is left to read the answer: stop the call, and let no later caller join it.
        shared.detached = true;
        if (this.#inFlight.get(flightKey) === shared) this.#inFlight.delete(flightKey);
        shared.controller.abort(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      shared.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error);
        },
      );
    });
  }

  /**
   * Drops everything that shows the session's changing state: its status and details, and the
   * list pages of its work group (of every work group when that is unknown).
   */
  #forgetSession(sessionId: string, workGroup: string | undefined): void {
    this.#details.delete(sessionId);
    this.#statuses.delete(sessionId);
    this.#detachInFlight(
      (key) => key === `GetSession\u0000${sessionId}` || key === `GetSessionStatus\u0000${sessionId}`,
    );
    this.#forgetPages(workGroup);
    // A session's state changes its calculations' too (a terminate stops them), and its list of them.
    for (const [calculationExecutionId, owner] of this.#calculationSessions.entries()) {
      if (owner === sessionId) this.#forgetCalculationState(calculationExecutionId);
    }
    this.#forgetCalculationPages(sessionId);
  }

  /** A stopped (or stopping) calculation: its status and details, its session's state and its session's lists. */
  #forgetCalculation(calculationExecutionId: string): void {
    this.#forgetCalculationState(calculationExecutionId);
    const sessionId = this.#calculationSessions.peek(calculationExecutionId);
    if (sessionId === undefined) {
      this.#forgetCalculationPages(undefined);
    } else {
      // A stop frees the session for the next calculation: its status changes too.
      this.#forgetSession(sessionId, this.#workGroupOf(sessionId));
    }
  }

  #forgetCalculationState(calculationExecutionId: string): void {
    this.#calculationDetails.delete(calculationExecutionId);
    this.#calculationStatuses.delete(calculationExecutionId);
    this.#detachInFlight(
      (key) =>
        key === `GetCalculationExecution\u0000${calculationExecutionId}` ||
        key === `GetCalculationExecutionStatus\u0000${calculationExecutionId}`,
    );
  }

  /** Drops the cached and in-flight calculation pages of a session, or of every session when it is not known. */
  #forgetCalculationPages(sessionId: string | undefined): void {
    if (sessionId === undefined) {
      this.#calculationPages.clear();
    } else {
      for (const [key, page] of this.#calculationPages.entries())
        if (page.sessionId === sessionId) this.#calculationPages.delete(key);
    }
    this.#detachInFlight(
      (key, call) =>
        key.startsWith('ListCalculationExecutions\u0000') && (sessionId === undefined || call.workGroup === sessionId),
    );
  }

  /** From a GetSession seen earlier, or a cached page that lists the session. */
  #workGroupOf(sessionId: string): string | undefined {
    const known = this.#immutable.peek(sessionId)?.workGroup ?? this.#details.peek(sessionId)?.value.workGroup;
    if (known !== undefined) return known;
    for (const page of this.#pages.values()) {
      if (page.value.sessions.some((session) => session.sessionId === sessionId)) return page.workGroup;
    }
    return undefined;
  }

  /** Drops the cached and in-flight list pages of a work group, or of every work group when it is not known. */
  #forgetPages(workGroup: string | undefined): void {
    if (workGroup === undefined) {
      this.#pages.clear();
    } else {
      for (const [key, page] of this.#pages.entries()) if (page.workGroup === workGroup) this.#pages.delete(key);
    }
    this.#detachInFlight(
      (key, call) => key.startsWith('ListSessions\u0000') && (workGroup === undefined || call.workGroup === workGroup),
    );
  }

  #detachInFlight(matches: (key: string, call: SharedCall) => boolean): void {
    for (const [key, call] of this.#inFlight) {
      if (!matches(key, call)) continue;
      // Those already waiting still get the answer they asked for; later callers make a new call.
      call.detached = true;
      this.#inFlight.delete(key);
    }
  }

  #record(cache: CacheName, outcome: CacheOutcome): void {
    this.#counts[cache][outcome] += 1;
    try {
      this.#onCacheEvent?.({ cache, outcome });
    } catch {
      // An observer's failure (a metrics bug) must not fail the read it observes.
    }
  }
}

function callerLeft(operation: AthenaOperation, signal: AbortSignal): AthenaError {
  return new AthenaError('aborted', operation, `${operation} abandoned: the caller went away before Athena answered`, {
    cause: signal.reason,
  });
}
