import type { AthenaOperationName } from './operation-names.js';
import { isAthenaOperationName } from './operation-names.js';
import { createSeededRandom } from './prng.js';

/**
 * Per-operation fault injection for tests and benchmarks: added latency, and errors answered
 * for a share of calls (`rate`) and/or the next N calls (`count`).
 *
 * The target '*' applies to every operation. Latencies add up (global + '*' + operation);
 * for errors, an operation's own spec is consulted before '*'.
 */

export const INJECTED_ERRORS = ['InternalServerException', 'TooManyRequestsException', 'drop'] as const;
/** 'drop' destroys the connection without any response. */
export type InjectedError = (typeof INJECTED_ERRORS)[number];

export type FaultTarget = AthenaOperationName | '*';

export interface FaultSpec {
  /** Added before the call is processed. */
  latencyMs?: number;
  error?: InjectedError;
  /** Share of calls (0..1) that get `error`. Default 1. */
  rate?: number;
  /** Only the next `count` calls that would get `error` get it; afterwards the error stops. */
  count?: number;
  /** Message of the injected error (default: a generic one). */
  message?: string;
}

export interface ActiveFault extends FaultSpec {
  /** Errors still to inject when `count` was given. */
  remaining?: number;
}

export interface FaultDecision {
  latencyMs: number;
  error?: InjectedError | undefined;
  message?: string | undefined;
}

export interface FaultInjectorOptions {
  globalLatencyMs?: number;
  /** Source of randomness for `rate`. Default: a PRNG with a fixed seed (reproducible runs). */
  random?: () => number;
}

const FAULT_RANDOM_SEED = 0x5eed_fa17;

export class FaultInjector {
  private readonly faultsByTarget = new Map<FaultTarget, ActiveFault>();
  private readonly random: () => number;
  private globalLatency = 0;

  constructor(options: FaultInjectorOptions = {}) {
    this.random = options.random ?? createSeededRandom(FAULT_RANDOM_SEED);
    this.setGlobalLatency(options.globalLatencyMs ?? 0);
  }

  /** Replaces the spec of `target` (an operation name or '*'). Throws RangeError on a bad spec. */
  set(target: FaultTarget, spec: FaultSpec): void {
    if (target !== '*' && !isAthenaOperationName(target)) {
      throw new RangeError(`Unknown operation for fault injection: ${String(target)}`);
    }
    validateFaultSpec(spec);
    const active: ActiveFault = { ...spec };
    if (spec.count !== undefined) active.remaining = spec.count;
    this.faultsByTarget.set(target, active);
  }

  /** Clears one target's spec, or every spec when no target is given. The global latency stays. */
  clear(target?: FaultTarget): void {
    if (target === undefined) this.faultsByTarget.clear();
    else this.faultsByTarget.delete(target);
  }

  /** Latency added to every call, independent of the specs (benchmarks use a fixed one). */
  setGlobalLatency(latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) {
      throw new RangeError(`latencyMs must be a finite, non-negative number, got ${latencyMs}`);
    }
    this.globalLatency = latencyMs;
  }

  get globalLatencyMs(): number {
    return this.globalLatency;
  }

  snapshot(): { globalLatencyMs: number; faults: Record<string, ActiveFault> } {
    const faults: Record<string, ActiveFault> = {};
    for (const [target, fault] of this.faultsByTarget) faults[target] = { ...fault };
    return { globalLatencyMs: this.globalLatency, faults };
  }

  /** Decides the fate of one call; consumes one of a counted fault's errors when it fires. */
  decide(operation: string): FaultDecision {
    const own = isAthenaOperationName(operation) ? this.faultsByTarget.get(operation) : undefined;
    const everyOperation = this.faultsByTarget.get('*');
    const latencyMs = this.globalLatency + (everyOperation?.latencyMs ?? 0) + (own?.latencyMs ?? 0);
    for (const fault of [own, everyOperation]) {
      if (fault && this.fires(fault)) {
        return { latencyMs, error: fault.error, message: fault.message };
      }
    }
    return { latencyMs };
  }

  private fires(fault: ActiveFault): boolean {
    if (fault.error === undefined) return false;
    if (fault.remaining !== undefined && fault.remaining <= 0) return false;
    const rate = fault.rate ?? 1;
    if (rate < 1 && this.random() >= rate) return false;
    if (fault.remaining !== undefined) fault.remaining -= 1;
    return true;
  }
}

function validateFaultSpec(spec: FaultSpec): void {
  if (spec.latencyMs !== undefined && (!Number.isFinite(spec.latencyMs) || spec.latencyMs < 0)) {
    throw new RangeError(`latencyMs must be a finite, non-negative number, got ${spec.latencyMs}`);
  }
  if (spec.error !== undefined && !(INJECTED_ERRORS as readonly string[]).includes(spec.error)) {
    throw new RangeError(`error must be one of ${INJECTED_ERRORS.join(', ')}, got ${String(spec.error)}`);
  }
  if (spec.rate !== undefined && (!Number.isFinite(spec.rate) || spec.rate < 0 || spec.rate > 1)) {
    throw new RangeError(`rate must be between 0 and 1, got ${spec.rate}`);
  }
  if (spec.count !== undefined && (!Number.isSafeInteger(spec.count) || spec.count < 0)) {
    throw new RangeError(`count must be a non-negative integer, got ${spec.count}`);
  }
}
