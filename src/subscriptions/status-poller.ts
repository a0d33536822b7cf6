// Shared upstream polling behind the status subscriptions (`sessionStatus`, `calculationStatus`).
// Athena has no push API for session or calculation state, so someone must poll it; this module
// makes sure it is done once per watched thing per process, however many subscribers watch it, and
// never when nobody does. It is generic over what it polls: a `StatusSource` says how to fetch a
// status, when two statuses look the same to a subscriber, and which statuses are final.
import {
  type AthenaPort,
  type CalculationStatus,
  type CallOptions,
  FINAL_CALCULATION_STATES,
  FINAL_SESSION_STATES,
  isAthenaError,
  type SessionStatus,
} from '../athena/port.js';

/** Receives one watched thing's status changes. At most one of `complete` and `error` is called, last. */
export interface StatusWatcher<Status = SessionStatus> {
  /** A status that differs from the last one this watcher saw. */
  next(status: Status): void;
  /** A final status was reached (or the poller was closed): nothing more will come. */
  complete(): void;
  /** The thing vanished upstream, or polling failed too often in a row: nothing more will come. */
  error(error: unknown): void;
}

/** What a poller polls. */
export interface StatusSource<Status> {
  /** One upstream status call for the thing with this id. */
  fetch(id: string, options: CallOptions): Promise<Status>;
  /** Equal when a subscriber would see nothing new. */
  same(a: Status, b: Status): boolean;
  /** A status after which nothing changes again. */
  isFinal(status: Status): boolean;
  /** Names what is polled in keys shared with other processes (`session-status`, `calculation-status`). */
  readonly kind: string;
  /** A status older than one already shown (another process polled it earlier): never shown. */
  olderThan?(status: Status, seen: Status): boolean;
}

/**
 * One poll loop per key across processes: each interval a loop asks whether it leads its key;
 * only the leader calls Athena and publishes what it got, every other loop hears it. Without a
 * fleet (or while it is unreachable) every loop leads.
 */
export interface PollCoordination {
  /** Whether this process polls `key` now (takes or renews a fleet-wide lease). */
  lead(key: string): Promise<boolean>;
  /** Hands what this process polled to the other processes watching `key`. */
  publish(key: string, status: unknown): void;
  /** What other processes polled for `key`; returns the function that stops listening. */
  listen(key: string, onStatus: (status: unknown) => void): () => void;
  /** This process stops polling `key` (its last watcher left): another may take over at once. */
  resign(key: string): void;
}

export interface StatusPollerOptions {
  /** Time between the end of one status call and the start of the next for the same thing. */
  intervalMs: number;
  /**
   * Failed polls in a row after which watchers get the error and are let go. One failure is
   * retried at the next interval without bothering anyone (the port has already retried it).
   */
  maxConsecutiveFailures?: number | undefined;
  /** Told about every failed poll, e.g. to log it. */
  onPollError?: ((id: string, error: unknown, consecutiveFailures: number) => void) | undefined;
  /** Who polls when several processes watch the same key (replicas sharing Redis); default: this process polls its own. */
  coordination?: PollCoordination | undefined;
}

const DEFAULT_MAX_CONSECUTIVE_FAILURES = 3;

/** Equal when a subscriber would see nothing new: state, reason and every timestamp. */
export function sameStatus(a: SessionStatus, b: SessionStatus): boolean {
  return (
    a.state === b.state &&
    (a.stateChangeReason ?? null) === (b.stateChangeReason ?? null) &&
    sameTime(a.startDateTime, b.startDateTime) &&
    sameTime(a.lastModifiedDateTime, b.lastModifiedDateTime) &&
    sameTime(a.endDateTime, b.endDateTime) &&
    sameTime(a.idleSinceDateTime, b.idleSinceDateTime)
  );
}

const sameTime = (a: Date | undefined, b: Date | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** Earlier than what was seen, by a timestamp both carry: a state never goes back. */
const earlier = (at: Date | undefined, seenAt: Date | undefined) =>
  at !== undefined && seenAt !== undefined && at.getTime() < seenAt.getTime();

export const isFinalStatus = (status: SessionStatus): boolean => FINAL_SESSION_STATES.has(status.state);

/** Equal when a subscriber would see nothing new: state, reason and both timestamps. */
export function sameCalculationStatus(a: CalculationStatus, b: CalculationStatus): boolean {
  return (
    a.state === b.state &&
    (a.stateChangeReason ?? null) === (b.stateChangeReason ?? null) &&
    sameTime(a.submissionDateTime, b.submissionDateTime) &&
    sameTime(a.completionDateTime, b.completionDateTime)
  );
}

export const isFinalCalculationStatus = (status: CalculationStatus): boolean =>
  FINAL_CALCULATION_STATES.has(status.state);

/**
 * One poll loop per watched id. A loop starts with its first watcher, waits `intervalMs` between
 * calls (never two calls for one id in flight), hands each answer to every watcher that has not
 * seen it yet, and stops — timer cleared, call in flight aborted — when its last watcher leaves,
 * when a final status arrives, or when the poller is closed.
 */
export class StatusPoller<Status> {
  readonly #source: StatusSource<Status>;
  readonly #intervalMs: number;
  readonly #maxConsecutiveFailures: number;
  readonly #onPollError: StatusPollerOptions['onPollError'];
  readonly #coordination: PollCoordination | undefined;
  readonly #loops = new Map<string, PollLoop<Status>>();
  #closed = false;

  constructor(source: StatusSource<Status>, options: StatusPollerOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new RangeError(`intervalMs must be a positive number, got ${options.intervalMs}`);
    }
    this.#source = source;
    this.#intervalMs = options.intervalMs;
    this.#maxConsecutiveFailures = options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
    this.#onPollError = options.onPollError;
    this.#coordination = options.coordination;
  }

  /**
   * Watches an id. `seen` is the status the watcher already has (its subscription's first
   * event), so it is only told about what differs from it. Returns the function that stops
   * watching; calling it more than once, or after the watch ended, does nothing.
   */
  watch(id: string, seen: Status, watcher: StatusWatcher<Status>): () => void {
    if (this.#closed || this.#source.isFinal(seen)) {
      // Nothing to wait for; told asynchronously, like every other event.
      queueMicrotask(() => watcher.complete());
      return () => {};
    }
    let loop = this.#loops.get(id);
    if (loop === undefined) {
      loop = new PollLoop(
        id,
        this.#source,
        this.#intervalMs,
        this.#maxConsecutiveFailures,
        this.#onPollError,
        this.#coordination,
        () => {
          if (this.#loops.get(id) === loop) this.#loops.delete(id);
        },
      );
      this.#loops.set(id, loop);
    }
    return loop.add(watcher, seen);
  }

  /** How many ids are being polled now. */
  get pollingCount(): number {
    return this.#loops.size;
  }

  /** How many sessions are being polled now (the name the session poller has always had). */
  get pollingSessions(): number {
    return this.#loops.size;
  }

  /** How many watchers watch an id now. */
  watcherCount(id: string): number {
    return this.#loops.get(id)?.size ?? 0;
  }

  /** Stops every loop and completes every watcher (server shutdown). Later watches complete at once. */
  close(): void {
    this.#closed = true;
    for (const loop of [...this.#loops.values()]) loop.end((watcher) => watcher.complete());
  }
}

/** Polls GetSessionStatus: behind `sessionStatus`. */
export class SessionStatusPoller extends StatusPoller<SessionStatus> {
  constructor(port: Pick<AthenaPort, 'getSessionStatus'>, options: StatusPollerOptions) {
    super(
      {
        fetch: async (sessionId, callOptions) => (await port.getSessionStatus(sessionId, callOptions)).status,
        same: sameStatus,
        isFinal: isFinalStatus,
        kind: 'session-status',
        olderThan: (status, seen) => earlier(status.lastModifiedDateTime, seen.lastModifiedDateTime),
      },
      options,
    );
  }
}

/** Polls GetCalculationExecutionStatus: behind `calculationStatus`. */
export class CalculationStatusPoller extends StatusPoller<CalculationStatus> {
  constructor(port: Pick<AthenaPort, 'getCalculationExecutionStatus'>, options: StatusPollerOptions) {
    super(
      {
        fetch: async (calculationId, callOptions) =>
          (await port.getCalculationExecutionStatus(calculationId, callOptions)).status,
        same: sameCalculationStatus,
        isFinal: isFinalCalculationStatus,
        kind: 'calculation-status',
        olderThan: (status, seen) => earlier(status.completionDateTime, seen.completionDateTime),
      },
      options,
    );
  }
}

class PollLoop<Status> {
  /** Each watcher with the last status it was given. */
  readonly #watchers = new Map<StatusWatcher<Status>, Status>();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: AbortController | undefined;
  /** Between a tick and its poll (asking whether this process leads). */
  #deciding = false;
  #leading = false;
  #unlisten: (() => void) | undefined;
  #consecutiveFailures = 0;
  #ended = false;

  constructor(
    readonly id: string,
    private readonly source: StatusSource<Status>,
    private readonly intervalMs: number,
    private readonly maxConsecutiveFailures: number,
    private readonly onPollError: StatusPollerOptions['onPollError'],
    private readonly coordination: PollCoordination | undefined,
    private readonly onEnded: () => void,
  ) {}

  get #key(): string {
    return `${this.source.kind}:${this.id}`;
  }

  get size(): number {
    return this.#watchers.size;
  }

  add(watcher: StatusWatcher<Status>, seen: Status): () => void {
    this.#watchers.set(watcher, seen);
    if (this.#timer === undefined && this.#inFlight === undefined && !this.#deciding) {
      this.#unlisten ??= this.coordination?.listen(this.#key, (status) => this.#heard(status as Status));
      this.#schedule();
    }
    return () => {
      if (!this.#watchers.delete(watcher) || this.#watchers.size > 0) return;
      this.#stop();
    };
  }

  /** Ends the loop and tells every watcher once, through `tell`. */
  end(tell: (watcher: StatusWatcher<Status>) => void): void {
    const watchers = [...this.#watchers.keys()];
    this.#watchers.clear();
    this.#stop();
    for (const watcher of watchers) notify(() => tell(watcher));
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#poll(), this.intervalMs);
    // A watched session must not keep a process alive on its own: the server it serves does.
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = undefined;
    this.#unlisten?.();
    if (this.#leading) this.coordination?.resign(this.#key);
    this.onEnded();
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    if (this.coordination !== undefined) {
      this.#deciding = true;
      this.#leading = await this.coordination.lead(this.#key).catch(() => true);
      this.#deciding = false;
      if (this.#ended) return;
      if (!this.#leading) {
        // Another process polls; this loop hears it, and asks again next interval in case it died.
        this.#schedule();
        return;
      }
    }
    const controller = new AbortController();
    this.#inFlight = controller;
    let status: Status;
    try {
      status = await this.source.fetch(this.id, { signal: controller.signal });
    } catch (error) {
      if (this.#ended) return;
      this.#inFlight = undefined;
      this.#failed(error);
      return;
    }
    if (this.#ended) return;
    this.#inFlight = undefined;
    this.#consecutiveFailures = 0;
    this.coordination?.publish(this.#key, status);
    this.#deliver(status);
    if (!this.#ended) this.#schedule();
  }

  /** A status another process polled. */
  #heard(status: Status): void {
    if (this.#ended) return;
    this.#consecutiveFailures = 0;
    this.#deliver(status);
  }

  #deliver(status: Status): void {
    for (const [watcher, seen] of [...this.#watchers]) {
      if (
        this.source.same(seen, status) ||
        this.source.olderThan?.(status, seen) === true ||
        !this.#watchers.has(watcher)
      )
        continue;
      this.#watchers.set(watcher, status);
      notify(() => watcher.next(status));
    }
    if (this.source.isFinal(status)) this.end((watcher) => watcher.complete());
  }

  #failed(error: unknown): void {
    this.#consecutiveFailures += 1;
    this.onPollError?.(this.id, error, this.#consecutiveFailures);
    // A thing that no longer exists will not come back; anything else may be passing.
    if (isAthenaError(error, 'not-found') || this.#consecutiveFailures >= this.maxConsecutiveFailures) {
      this.end((watcher) => watcher.error(error));
    } else {
      this.#schedule();
    }
  }
}

/** One watcher that throws must not keep the others from hearing about the change. */
function notify(call: () => void): void {
  try {
    call();
  } catch {
    // The watcher's own problem; the loop carries on for the rest.
  }
}
