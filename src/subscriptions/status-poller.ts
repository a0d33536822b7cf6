// Shared upstream polling behind the `sessionStatus` subscription. Athena has no push API for
// session state, so someone must poll GetSessionStatus; this module makes sure it is done once per
// session per process, however many subscribers watch that session, and never when nobody does.
import { FINAL_SESSION_STATES, isAthenaError, type AthenaPort, type SessionStatus } from '../athena/port.js';

/** Receives one session's status changes. At most one of `complete` and `error` is called, last. */
export interface StatusWatcher {
  /** A status that differs from the last one this watcher saw. */
  next(status: SessionStatus): void;
  /** The session reached TERMINATED or FAILED (or the poller was closed): nothing more will come. */
  complete(): void;
  /** The session vanished upstream, or polling failed too often in a row: nothing more will come. */
  error(error: unknown): void;
}

export interface StatusPollerOptions {
  /** Time between the end of one GetSessionStatus and the start of the next for the same session. */
  intervalMs: number;
  /**
   * Failed polls in a row after which watchers get the error and are let go. One failure is
   * retried at the next interval without bothering anyone (the port has already retried it).
   */
  maxConsecutiveFailures?: number | undefined;
  /** Told about every failed poll, e.g. to log it. */
  onPollError?: ((sessionId: string, error: unknown, consecutiveFailures: number) => void) | undefined;
  /** Who polls when several processes watch the same key (replicas sharing Redis); default: this process polls its own. */
  coordination?: PollCoordination | undefined;
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
  publish(key: string, status: SessionStatus): void;
  /** What other processes polled for `key`; returns the function that stops listening. */
  listen(key: string, onStatus: (status: SessionStatus) => void): () => void;
  /** This process stops polling `key` (its last watcher left): another may take over at once. */
  resign(key: string): void;
}

const DEFAULT_MAX_CONSECUTIVE_FAILURES = 3;

/** A status older than one already seen (it came from a replica that polled earlier): never shown, a state never goes back. */
function olderThan(status: SessionStatus, seen: SessionStatus): boolean {
  const at = status.lastModifiedDateTime?.getTime();
  const seenAt = seen.lastModifiedDateTime?.getTime();
  return at !== undefined && seenAt !== undefined && at < seenAt;
}

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

export const isFinalStatus = (status: SessionStatus): boolean => FINAL_SESSION_STATES.has(status.state);

/**
 * One poll loop per watched session. A loop starts with its first watcher, waits `intervalMs`
 * between calls (never two calls for one session in flight), hands each answer to every watcher
 * that has not seen it yet, and stops — timer cleared, call in flight aborted — when its last
 * watcher leaves, when the session ends, or when the poller is closed.
 */
export class SessionStatusPoller {
  readonly #port: Pick<AthenaPort, 'getSessionStatus'>;
  readonly #intervalMs: number;
  readonly #maxConsecutiveFailures: number;
  readonly #onPollError: StatusPollerOptions['onPollError'];
  readonly #coordination: PollCoordination | undefined;
  readonly #loops = new Map<string, PollLoop>();
  #closed = false;

  constructor(port: Pick<AthenaPort, 'getSessionStatus'>, options: StatusPollerOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new RangeError(`intervalMs must be a positive number, got ${options.intervalMs}`);
    }
    this.#port = port;
    this.#intervalMs = options.intervalMs;
    this.#maxConsecutiveFailures = options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
    this.#onPollError = options.onPollError;
    this.#coordination = options.coordination;
  }

  /**
   * Watches a session. `seen` is the status the watcher already has (its subscription's first
   * event), so it is only told about what differs from it. Returns the function that stops
   * watching; calling it more than once, or after the watch ended, does nothing.
   */
  watch(sessionId: string, seen: SessionStatus, watcher: StatusWatcher): () => void {
    if (this.#closed || isFinalStatus(seen)) {
      // Nothing to wait for; told asynchronously, like every other event.
      queueMicrotask(() => watcher.complete());
      return () => {};
    }
    let loop = this.#loops.get(sessionId);
    if (loop === undefined) {
      loop = new PollLoop(sessionId, this.#port, this.#intervalMs, this.#maxConsecutiveFailures, this.#onPollError, this.#coordination, () => {
        if (this.#loops.get(sessionId) === loop) this.#loops.delete(sessionId);
      });
      this.#loops.set(sessionId, loop);
    }
    return loop.add(watcher, seen);
  }

  /** How many sessions are being polled now. */
  get pollingSessions(): number {
    return this.#loops.size;
  }

  /** How many watchers watch a session now. */
  watcherCount(sessionId: string): number {
    return this.#loops.get(sessionId)?.size ?? 0;
  }

  /** Stops every loop and completes every watcher (server shutdown). Later watches complete at once. */
  close(): void {
    this.#closed = true;
    for (const loop of [...this.#loops.values()]) loop.end((watcher) => watcher.complete());
  }
}

class PollLoop {
  /** Each watcher with the last status it was given. */
  readonly #watchers = new Map<StatusWatcher, SessionStatus>();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: AbortController | undefined;
  /** Between a tick and its poll (asking whether this process leads). */
  #deciding = false;
  #leading = false;
  #unlisten: (() => void) | undefined;
  #consecutiveFailures = 0;
  #ended = false;

  constructor(
    readonly sessionId: string,
    private readonly port: Pick<AthenaPort, 'getSessionStatus'>,
    private readonly intervalMs: number,
    private readonly maxConsecutiveFailures: number,
    private readonly onPollError: StatusPollerOptions['onPollError'],
    private readonly coordination: PollCoordination | undefined,
    private readonly onEnded: () => void,
  ) {}

  get #key(): string {
    return `session-status:${this.sessionId}`;
  }

  get size(): number {
    return this.#watchers.size;
  }

  add(watcher: StatusWatcher, seen: SessionStatus): () => void {
    this.#watchers.set(watcher, seen);
    if (this.#timer === undefined && this.#inFlight === undefined && !this.#deciding) {
      this.#unlisten ??= this.coordination?.listen(this.#key, (status) => this.#heard(status));
      this.#schedule();
    }
    return () => {
      if (!this.#watchers.delete(watcher) || this.#watchers.size > 0) return;
      this.#stop();
    };
  }

  /** Ends the loop and tells every watcher once, through `tell`. */
  end(tell: (watcher: StatusWatcher) => void): void {
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
    let status: SessionStatus;
    try {
      status = (await this.port.getSessionStatus(this.sessionId, { signal: controller.signal })).status;
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
  #heard(status: SessionStatus): void {
    if (this.#ended) return;
    this.#consecutiveFailures = 0;
    this.#deliver(status);
  }

  #deliver(status: SessionStatus): void {
    for (const [watcher, seen] of [...this.#watchers]) {
      if (sameStatus(seen, status) || olderThan(status, seen) || !this.#watchers.has(watcher)) continue;
      this.#watchers.set(watcher, status);
      notify(() => watcher.next(status));
    }
    if (isFinalStatus(status)) this.end((watcher) => watcher.complete());
  }

  #failed(error: unknown): void {
    this.#consecutiveFailures += 1;
    this.onPollError?.(this.sessionId, error, this.#consecutiveFailures);
    // A session that no longer exists will not come back; anything else may be passing.
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
