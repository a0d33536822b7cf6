// Sharing and caching across requests, as an AthenaPort decorator. Per-request loaders remove
// repeats inside one operation; this layer removes them between operations:
// - identical reads in flight at the same time become one upstream call (always on, even with
//   CACHE_TTL_MS=0: fifty clients polling one session cost one GetSessionStatus);
// - what never changes during a session's life (engine and session configuration, versions, work
//   group, description) is kept in a bounded LRU and answered without a call;
// - status, statistics and list pages (of sessions and of work groups, and GetWorkGroup answers)
//   are served again only within `ttlMs` of when their call was sent, and never once this gateway
//   has terminated (or otherwise changed) the session: writes through this port drop what they make
//   stale, including reads still in flight;
// - calculations follow the same rules: their status (with statistics), details and list pages
//   within `ttlMs`, dropped when this gateway starts or stops one (or terminates its session); their
//   code never changes and is kept like immutable session fields;
// - the Spark Connect endpoint is never cached nor shared: its answer carries a secret token, and
//   each request must get its own from Athena.
// Every cache is an LRU with a fixed number of entries (code: a fixed number of characters), so
// memory is bounded whatever the traffic.
// Which cache each read goes to, its key, and what each write makes stale: src/athena/cache-policy.ts.
import { LRUCache } from 'lru-cache';
import { MAX_CACHED_PAGES, MAX_CACHED_SESSIONS } from '../security/limits.js';
import {
  type CacheName,
  type Fact,
  type Known,
  keepsFact,
  READS,
  type ReadRule,
  WRITES,
  type WriteRule,
} from './cache-policy.js';
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

/** Calculation code is up to 68,000 characters, so its cache is bounded by size, not count. */
export const MAX_CACHED_CODE_CHARACTERS = 4_000_000;

interface Entry {
  value: unknown;
  /** When the call that fetched it was sent: the answer is at most this old. */
  sentAt: number;
  /** The read's scopes (cache-policy.ts): a write that makes one of them stale drops the entry. */
  scopes: readonly string[];
  /** The read's input: a cached ListSessions page tells the work group of the sessions it lists. */
  input: unknown;
}

interface SharedCall {
  promise: Promise<unknown>;
  controller: AbortController;
  /** Callers still waiting; when the last one leaves (its signal aborted), the call is aborted. */
  waiters: number;
  /** Set when a write made the answer stale before it arrived: it goes to those already waiting, never to a cache. */
  detached: boolean;
  scopes: readonly string[];
}

type AnswerCache = Exclude<CacheName, 'immutable'>;

export class CachingAthenaPort implements AthenaPort {
  readonly #inner: AthenaPort;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onCacheEvent: CachingPortOptions['onCacheEvent'];
  readonly #caches: Record<AnswerCache, LRUCache<string, Entry>>;
  /** Caches that hold an entry with scopes: the ones a write must look through. */
  readonly #droppable = new Set<LRUCache<string, Entry>>();
  readonly #immutable: LRUCache<string, ImmutableSessionFields>;
  /** The session of each calculation seen: to drop a session's calculations, and a calculation's session's pages. */
  readonly #calculationSessions: LRUCache<string, string>;
  /** Bounded by the calls in flight, each of which has a waiting caller. */
  readonly #inFlight = new Map<string, SharedCall>();

  constructor(inner: AthenaPort, options: CachingPortOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0)
      throw new RangeError(`ttlMs must be >= 0, got ${options.ttlMs}`);
    this.#inner = inner;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onCacheEvent = options.onCacheEvent;
    const maxSessions = options.maxSessions ?? MAX_CACHED_SESSIONS;
    const maxPages = options.maxPages ?? MAX_CACHED_PAGES;
    this.#immutable = new LRUCache({ max: maxSessions });
    this.#calculationSessions = new LRUCache({ max: maxSessions });
    this.#caches = {
      details: new LRUCache({ max: maxSessions }),
      status: new LRUCache({ max: maxSessions }),
      list: new LRUCache({ max: maxPages }),
      'calculation-details': new LRUCache({ max: maxSessions }),
      'calculation-status': new LRUCache({ max: maxSessions }),
      'calculation-list': new LRUCache({ max: maxPages }),
      'calculation-code': new LRUCache({
        maxSize: MAX_CACHED_CODE_CHARACTERS,
        sizeCalculation: (entry) => Math.max(1, (entry.value as string).length),
      }),
      // ListWorkGroups pages and GetWorkGroup answers.
      workGroups: new LRUCache({ max: maxPages }),
    };
  }

  getSession(sessionId: string, options?: CallOptions): Promise<SessionDetails> {
    return this.#read(READS.getSession, sessionId, options, (signal) => this.#inner.getSession(sessionId, { signal }));
  }

  getSessionStatus(sessionId: string, options?: CallOptions): Promise<SessionStatusResult> {
    return this.#read(READS.getSessionStatus, sessionId, options, (signal) =>
      this.#inner.getSessionStatus(sessionId, { signal }),
    );
  }

  getImmutableSession(sessionId: string, options?: CallOptions): Promise<ImmutableSessionRead> {
    const known = keepsFact('immutable', this.#ttlMs) ? this.#immutable.get(sessionId) : undefined;
    if (known !== undefined) {
      this.#record('immutable', 'hit');
      return Promise.resolve({ fields: known });
    }
    this.#record('immutable', 'miss');
    return this.getSession(sessionId, options).then((details) => ({
      fields: immutableFieldsOf(details),
      details,
    }));
  }

  listSessions(input: ListSessionsInput, options?: CallOptions): Promise<SessionPage> {
    return this.#read(READS.listSessions, input, options, (signal) => this.#inner.listSessions(input, { signal }));
  }

  terminateSession(sessionId: string, options?: CallOptions) {
    return this.#write(WRITES.terminateSession, sessionId, () => this.#inner.terminateSession(sessionId, options));
  }

  startSession(input: StartSessionInput, options?: CallOptions) {
    return this.#write(WRITES.startSession, input, () => this.#inner.startSession(input, options));
  }

  startCalculationExecution(input: StartCalculationInput, options?: CallOptions) {
    return this.#write(WRITES.startCalculationExecution, input, () =>
      this.#inner.startCalculationExecution(input, options),
    );
  }

  getCalculationExecution(calculationExecutionId: string, options?: CallOptions): Promise<Calculation> {
    return this.#read(READS.getCalculationExecution, calculationExecutionId, options, (signal) =>
      this.#inner.getCalculationExecution(calculationExecutionId, { signal }),
    );
  }

  getCalculationExecutionStatus(
    calculationExecutionId: string,
    options?: CallOptions,
  ): Promise<CalculationStatusResult> {
    return this.#read(READS.getCalculationExecutionStatus, calculationExecutionId, options, (signal) =>
      this.#inner.getCalculationExecutionStatus(calculationExecutionId, { signal }),
    );
  }

  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions): Promise<string> {
    return this.#read(READS.getCalculationExecutionCode, calculationExecutionId, options, (signal) =>
      this.#inner.getCalculationExecutionCode(calculationExecutionId, { signal }),
    );
  }

  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions): Promise<CalculationPage> {
    return this.#read(READS.listCalculationExecutions, input, options, (signal) =>
      this.#inner.listCalculationExecutions(input, { signal }),
    );
  }

  stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    return this.#write(WRITES.stopCalculationExecution, calculationExecutionId, () =>
      this.#inner.stopCalculationExecution(calculationExecutionId, options),
    );
  }

  getSessionEndpoint(sessionId: string, options?: CallOptions) {
    // Never cached nor shared: the answer carries an auth token that must reach only its caller.
    return this.#inner.getSessionEndpoint(sessionId, options);
  }

  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions): Promise<WorkGroupPage> {
    return this.#read(READS.listWorkGroups, input, options, (signal) => this.#inner.listWorkGroups(input, { signal }));
  }

  getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary> {
    return this.#read(READS.getWorkGroup, name, options, (signal) => this.#inner.getWorkGroup(name, { signal }));
  }

  #read<Input, Value>(
    rule: ReadRule<Input, Value>,
    input: Input,
    options: CallOptions | undefined,
    call: (signal: AbortSignal) => Promise<Value>,
  ): Promise<Value> {
    const key = rule.key(input);
    const cached = this.#fresh(rule, key);
    if (cached !== undefined) {
      this.#record(rule.cache, 'hit');
      return Promise.resolve(cached.value as Value);
    }
    return this.#share(rule, key, rule.scopes(input), options, call, (value, sentAt) =>
      this.#remember(rule, input, key, value, sentAt),
    );
  }

  async #write<Input, Result>(rule: WriteRule<Input, Result>, input: Input, send: () => Promise<Result>) {
    // What the write makes stale is worked out once, before anything is dropped: the "before" drop
    // may remove the only cached page that tells the session's work group.
    const stale = rule.stale(input, this.#known(rule, input));
    // Synchronous, so a read made after the write was called never sees what it makes stale.
    if (rule.before) this.#forget(stale);
    try {
      const result = await send();
      for (const fact of rule.learns?.(result, input) ?? []) this.#learn(fact);
      return result;
    } finally {
      this.#forget(stale);
    }
  }

  #fresh(rule: Pick<ReadRule<never, unknown>, 'cache' | 'immutable'>, key: string): Entry | undefined {
    if (this.#ttlMs === 0) return undefined;
    const cache = this.#caches[rule.cache as AnswerCache];
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (rule.immutable === true || this.#now() - entry.sentAt < this.#ttlMs) return entry;
    cache.delete(key);
    return undefined;
  }

  #remember<Input, Value>(rule: ReadRule<Input, Value>, input: Input, key: string, value: Value, sentAt: number) {
    for (const fact of rule.learns?.(value, input) ?? []) this.#learn(fact);
    if (this.#ttlMs === 0) return;
    this.#keep(rule.cache, key, { value, sentAt, scopes: rule.scopes(input), input });
    for (const answer of rule.alsoAnswers?.(value, input) ?? []) {
      const other = answer.rule as ReadRule<unknown, unknown>;
      this.#keep(other.cache, other.key(answer.input), {
        value: answer.value,
        sentAt,
        scopes: other.scopes(answer.input),
        input: answer.input,
      });
    }
  }

  #keep(cacheName: CacheName, key: string, entry: Entry): void {
    const cache = this.#caches[cacheName as AnswerCache];
    cache.set(key, entry);
    if (entry.scopes.length > 0) this.#droppable.add(cache);
  }

  #learn(fact: Fact): void {
    if (!keepsFact(fact.name, this.#ttlMs)) return;
    if (fact.name === 'calculation-session') this.#calculationSessions.set(fact.key, fact.value as string);
    else this.#immutable.set(fact.key, fact.value as ImmutableSessionFields);
  }

  /**
   * Joins the identical call in flight, or makes it. The upstream call runs on a signal of its
   * own: one caller leaving (its client went away) rejects that caller only; the call is aborted
   * when every caller that can leave has left.
   */
  #share<T>(
    rule: Pick<ReadRule<never, unknown>, 'operation' | 'cache'>,
    key: string,
    scopes: readonly string[],
    options: CallOptions | undefined,
    call: (signal: AbortSignal) => Promise<T>,
    remember: (value: T, sentAt: number) => void,
  ): Promise<T> {
    const { operation } = rule;
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(callerLeft(operation, signal));
    const flightKey = `${operation}\u0000${key}`;
    let shared = this.#inFlight.get(flightKey);
    if (shared !== undefined) {
      this.#record(rule.cache, 'shared');
    } else {
      this.#record(rule.cache, 'miss');
      const controller = new AbortController();
      const sentAt = this.#now();
      const created: SharedCall = { promise: Promise.resolve(), controller, waiters: 0, detached: false, scopes };
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

  /** What this port knows of the write's session: its work group and the calculations seen in it. */
  #known<Input>(rule: Pick<WriteRule<Input, unknown>, 'session' | 'calculation'>, input: Input): Known {
    const calculationExecutionId = rule.calculation?.(input);
    const sessionId =
      rule.session?.(input) ??
      (calculationExecutionId === undefined ? undefined : this.#calculationSessions.peek(calculationExecutionId));
    if (sessionId === undefined) return {};
    const calculations: string[] = [];
    for (const [calculation, owner] of this.#calculationSessions.entries())
      if (owner === sessionId) calculations.push(calculation);
    return { sessionId, workGroup: this.#workGroupOf(sessionId), calculations };
  }

  /** From a GetSession seen earlier, or a cached page that lists the session. */
  #workGroupOf(sessionId: string): string | undefined {
    const known =
      this.#immutable.peek(sessionId)?.workGroup ??
      (this.#caches.details.peek(sessionId)?.value as SessionDetails | undefined)?.workGroup;
    if (known !== undefined) return known;
    for (const page of this.#caches.list.values()) {
      if ((page.value as SessionPage).sessions.some((session) => session.sessionId === sessionId))
        return (page.input as ListSessionsInput).workGroup;
    }
    return undefined;
  }

  /** Drops every cached answer, and detaches every call in flight, that depends on one of these scopes. */
  #forget(scopes: readonly string[]): void {
    const stale = new Set(scopes);
    const dependsOn = (entry: { scopes: readonly string[] }) => entry.scopes.some((scope) => stale.has(scope));
    for (const cache of this.#droppable) {
      for (const [key, entry] of cache.entries()) if (dependsOn(entry)) cache.delete(key);
    }
    for (const [key, call] of this.#inFlight) {
      if (!dependsOn(call)) continue;
      // Those already waiting still get the answer they asked for; later callers make a new call.
      call.detached = true;
      this.#inFlight.delete(key);
    }
  }

  #record(cache: CacheName, outcome: CacheOutcome): void {
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
