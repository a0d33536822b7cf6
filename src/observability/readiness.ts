// Whether this instance should get traffic: it accepts work (not shutting down), its circuit
// breaker is not open, and, when probing is on, the last probe reached Athena. Liveness (/health)
// is separate on purpose: a gateway cut off from Athena is alive and must not be restarted for it.
import { type AthenaPort, isAthenaError } from '../athena/port.js';
import type { BreakerState } from '../athena/resilient-port.js';

export type UpstreamReachability = 'unknown' | 'reachable' | 'unreachable';

export interface ReadinessReport {
  ready: boolean;
  accepting: boolean;
  breaker: BreakerState | 'none';
  upstream: UpstreamReachability;
}

export interface ReadinessOptions {
  /** Reads the breaker in front of Athena, when there is one. */
  breakerState?: (() => BreakerState) | undefined;
  /** Resolves when Athena answered, rejects when it could not be reached. */
  probe?: ((signal: AbortSignal) => Promise<void>) | undefined;
  /** Time between background probes; 0 = never probe (readiness then follows the breaker only). */
  probeIntervalMs?: number | undefined;
  /** A probe that takes longer counts as unreachable. */
  probeTimeoutMs?: number | undefined;
  onChange?: ((report: ReadinessReport) => void) | undefined;
}

export class Readiness {
  readonly #breakerState: ReadinessOptions['breakerState'];
  readonly #probe: ReadinessOptions['probe'];
  readonly #probeIntervalMs: number;
  readonly #probeTimeoutMs: number;
  readonly #onChange: ReadinessOptions['onChange'];
  #accepting = true;
  #upstream: UpstreamReachability = 'unknown';
  #timer: ReturnType<typeof setTimeout> | undefined;
  #probing: Promise<void> | undefined;
  #stopped = false;
  #lastReady: boolean | undefined;

  constructor(options: ReadinessOptions = {}) {
    this.#breakerState = options.breakerState;
    this.#probe = options.probe;
    this.#probeIntervalMs = options.probeIntervalMs ?? 0;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.#onChange = options.onChange;
  }

  report(): ReadinessReport {
    const breaker = this.#breakerState?.() ?? 'none';
    // 'unknown' (before the first probe, or with probing off) does not hold traffic back: the
    // breaker still opens on real failures.
    const ready = this.#accepting && breaker !== 'open' && this.#upstream !== 'unreachable';
    return { ready, accepting: this.#accepting, breaker, upstream: this.#upstream };
  }

  isReady(): boolean {
    return this.report().ready;
  }

  /** Starts background probing (first probe at once). A no-op without a probe or an interval. */
  start(): void {
    if (this.#probe === undefined || this.#probeIntervalMs <= 0 || this.#timer !== undefined || this.#stopped) return;
    const tick = () => {
      void this.probeNow().finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(tick, this.#probeIntervalMs);
        this.#timer.unref();
      });
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** From now on /ready answers 503: load balancers stop sending work while in-flight work finishes. */
  markShuttingDown(): void {
    this.#accepting = false;
    this.stop();
    this.#notify();
  }

  /** Runs one probe now (joining one already running). */
  probeNow(): Promise<void> {
    if (this.#probe === undefined) return Promise.resolve();
    const probe = this.#probe;
    this.#probing ??= (async () => {
      const signal = AbortSignal.timeout(this.#probeTimeoutMs);
      try {
        await probe(signal);
        this.#upstream = 'reachable';
      } catch {
        this.#upstream = 'unreachable';
      } finally {
        this.#probing = undefined;
        this.#notify();
      }
    })();
    return this.#probing;
  }

  /** Tells listeners when the answer of /ready changes (for logs). */
  #notify(): void {
    const report = this.report();
    if (report.ready === this.#lastReady) return;
    this.#lastReady = report.ready;
    this.#onChange?.(report);
  }
}

/** A session id no session can have; asking for it costs Athena one cheap read. */
const PROBE_SESSION_ID = 'gateway-readiness-probe';

/**
 * Probes Athena with GetSessionStatus of a session that does not exist: "not found" (or a rejected
 * id) proves Athena answered, and so does throttling: an account-wide rate limit hits every
 * replica at once, and taking them all out of the load balancer for it would turn slowness into an
 * outage (a long run of throttling opens the breaker, which does say "not ready"). Going through the resilient port means an open breaker fails the
 * probe at once, and after its pause the probe is the trial call that closes it again, even while
 * no client traffic arrives (a load balancer sends none to an instance that is not ready).
 */
export function athenaProbe(port: AthenaPort): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    try {
      await port.getSessionStatus(PROBE_SESSION_ID, { signal });
    } catch (error) {
      if (
        isAthenaError(error, 'not-found') ||
        isAthenaError(error, 'invalid-request') ||
        isAthenaError(error, 'throttled')
      )
        return;
      throw error;
    }
  };
}
