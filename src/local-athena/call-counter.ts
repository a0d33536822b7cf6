/**
 * Counts requests by Athena operation name, including those answered with an injected fault or
 * rejected by validation. A request is counted when it arrives, before any latency, so once a
 * client has its response the count already includes it. A target outside AmazonAthena.* is
 * counted under the whole target; a request without X-Amz-Target is not an Athena call at all.
 */

/** Bounds memory when clients send many distinct unknown targets. */
const MAX_DISTINCT_NAMES = 1_000;
const OVERFLOW_NAME = '(other)';

export class CallCounter {
  private readonly countsByOperation = new Map<string, number>();

  record(operation: string): void {
    const name =
      this.countsByOperation.has(operation) || this.countsByOperation.size < MAX_DISTINCT_NAMES
        ? operation
        : OVERFLOW_NAME;
    this.countsByOperation.set(name, (this.countsByOperation.get(name) ?? 0) + 1);
  }

  /** Only operations called at least once appear. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.countsByOperation);
  }

  count(operation: string): number {
    return this.countsByOperation.get(operation) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const value of this.countsByOperation.values()) sum += value;
    return sum;
  }

  reset(): void {
    this.countsByOperation.clear();
  }
}
