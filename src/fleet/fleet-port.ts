// The port the gateway uses when REDIS_URL is set: reads go through the fleet (SharedReads) and
// writes make what they change stale on every replica before they answer. Whenever Redis cannot
// help, the same call goes to this process's own caching port, the one a single replica uses, so
// a replica without Redis behaves exactly as a gateway without REDIS_URL.
// What is cached, under which key and scopes, and what each write makes stale is the caching
// port's policy (src/athena/cache-policy.ts); this port only stores it in Redis.

import {
  type Fact,
  type Known,
  keepsFact,
  READS,
  type ReadRule,
  WRITES,
  type WriteRule,
} from '../athena/cache-policy.js';
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

/** One port call, made either on this replica's direct port (leading a shared read) or on its in-process port. */
type PortCall<Value> = (port: AthenaPort, options: CallOptions | undefined) => Promise<Value>;

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
    return this.#read(READS.getSessionStatus, sessionId, options, (port, o) => port.getSessionStatus(sessionId, o));
  }

  getSession(sessionId: string, options?: CallOptions): Promise<SessionDetails> {
    return this.#read(READS.getSession, sessionId, options, (port, o) => port.getSession(sessionId, o));
  }

  async getImmutableSession(sessionId: string, options?: CallOptions): Promise<ImmutableSessionRead> {
    if (!this.#link.usable) return this.#local.getImmutableSession(sessionId, options);
    if (keepsFact('immutable', this.#ttlMs)) {
      const fields = await this.#reads.peek<ImmutableSessionFields>('immutable', sessionId);
      if (fields !== undefined) return { fields };
    }
    const details = await this.getSession(sessionId, options);
    return { fields: immutableFieldsOf(details), details };
  }

  listSessions(input: ListSessionsInput, options?: CallOptions): Promise<SessionPage> {
    return this.#read(READS.listSessions, input, options, (port, o) => port.listSessions(input, o));
  }

  terminateSession(sessionId: string, options?: CallOptions) {
    return this.#write(WRITES.terminateSession, sessionId, () => this.#local.terminateSession(sessionId, options));
  }

  startSession(input: StartSessionInput, options?: CallOptions) {
    return this.#write(WRITES.startSession, input, () => this.#local.startSession(input, options));
  }

  startCalculationExecution(input: StartCalculationInput, options?: CallOptions) {
    return this.#write(WRITES.startCalculationExecution, input, () =>
      this.#local.startCalculationExecution(input, options),
    );
  }

  getCalculationExecution(calculationExecutionId: string, options?: CallOptions): Promise<Calculation> {
    return this.#read(READS.getCalculationExecution, calculationExecutionId, options, (port, o) =>
      port.getCalculationExecution(calculationExecutionId, o),
    );
  }

  getCalculationExecutionStatus(
    calculationExecutionId: string,
    options?: CallOptions,
  ): Promise<CalculationStatusResult> {
    return this.#read(READS.getCalculationExecutionStatus, calculationExecutionId, options, (port, o) =>
      port.getCalculationExecutionStatus(calculationExecutionId, o),
    );
  }

  getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions): Promise<string> {
    return this.#read(READS.getCalculationExecutionCode, calculationExecutionId, options, (port, o) =>
      port.getCalculationExecutionCode(calculationExecutionId, o),
    );
  }

  listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions): Promise<CalculationPage> {
    return this.#read(READS.listCalculationExecutions, input, options, (port, o) =>
      port.listCalculationExecutions(input, o),
    );
  }

  stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    return this.#write(WRITES.stopCalculationExecution, calculationExecutionId, () =>
      this.#local.stopCalculationExecution(calculationExecutionId, options),
    );
  }

  /** Never cached nor shared (its auth token is for its caller only): straight through. */
  getSessionEndpoint(sessionId: string, options?: CallOptions) {
    return this.#local.getSessionEndpoint(sessionId, options);
  }

  listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions): Promise<WorkGroupPage> {
    return this.#read(READS.listWorkGroups, input, options, (port, o) => port.listWorkGroups(input, o));
  }

  getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary> {
    return this.#read(READS.getWorkGroup, name, options, (port, o) => port.getWorkGroup(name, o));
  }

  /** The read through Redis; this replica's in-process port when Redis cannot help. */
  #read<Input, Value>(
    rule: ReadRule<Input, Value>,
    input: Input,
    options: CallOptions | undefined,
    call: PortCall<Value>,
  ): Promise<Value> {
    return this.#reads.read<Value>(
      {
        cache: rule.cache,
        operation: rule.operation,
        key: rule.key(input),
        scopes: rule.scopes(input),
        ttlMs: rule.immutable === true ? (this.#ttlMs > 0 ? IMMUTABLE_TTL_MS : 0) : undefined,
        fetch: async (signal) => {
          const value = await this.#timed(() => call(this.#direct, { signal }));
          for (const fact of rule.learns?.(value, input) ?? []) this.#learn(fact);
          return value;
        },
        alsoCaches:
          rule.alsoAnswers &&
          ((value) =>
            rule.alsoAnswers!(value, input).map((answer) => ({
              cache: answer.rule.cache,
              key: answer.rule.key(answer.input as never),
              value: answer.value,
            }))),
      },
      options?.signal,
      () => call(this.#local, options),
    );
  }

  /**
   * As in one process: what the write makes stale is dropped before the call is sent when the
   * policy says so, and again once it answered or failed, so nothing read while Athena was
   * processing it survives; both times on every replica. The in-process port drops its own.
   */
  async #write<Input, Result>(rule: WriteRule<Input, Result>, input: Input, send: () => Promise<Result>) {
    const stale = rule.stale(input, await this.#known(rule, input));
    if (rule.before) await this.#reads.invalidate(stale);
    try {
      const result = await send();
      for (const fact of rule.learns?.(result, input) ?? []) this.#learn(fact);
      return result;
    } finally {
      await this.#reads.invalidate(stale);
    }
  }

  /**
   * The write's session and its work group, from the facts the fleet keeps. The fleet does not
   * list a session's calculations, so a write to a session makes every calculation's state stale.
   */
  async #known<Input>(rule: Pick<WriteRule<Input, unknown>, 'session' | 'calculation'>, input: Input): Promise<Known> {
    const calculationExecutionId = rule.calculation?.(input);
    const sessionId =
      rule.session?.(input) ??
      (calculationExecutionId === undefined
        ? undefined
        : await this.#reads.peek<string>('calculation-session', calculationExecutionId));
    if (sessionId === undefined) return {};
    const immutable = keepsFact('immutable', this.#ttlMs)
      ? await this.#reads.peek<ImmutableSessionFields>('immutable', sessionId)
      : undefined;
    return { sessionId, workGroup: immutable?.workGroup };
  }

  #learn(fact: Fact): void {
    if (keepsFact(fact.name, this.#ttlMs)) this.#reads.keep(fact.name, fact.key, fact.value, IMMUTABLE_TTL_MS);
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
