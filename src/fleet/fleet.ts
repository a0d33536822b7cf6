// The replicas' shared work in one object, made from the config: with REDIS_URL unset it adds
// nothing (one process, everything in memory), except the per-process ATHENA_RATE_LIMIT budget.
import type { CachingAthenaPort } from '../athena/caching-port.js';
import type { AthenaPort } from '../athena/port.js';
import { type FleetSettings, redactRedisUrl } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { PollCoordination } from '../subscriptions/status-poller.js';
import { FleetAthenaPort } from './fleet-port.js';
import { RedisPollLeases } from './poll-leases.js';
import { RedisLink } from './redis-link.js';
import { ReplicaRoster } from './replica-roster.js';
import { SharedReads } from './shared-reads.js';
import { budgeted, UpstreamBudget } from './upstream-budget.js';

/** A lookup Redis has not answered by then goes its own way (the PING probe notices a slow Redis sooner). */
const LOOKUP_BACKSTOP_MS = 1_000;

export interface FleetOptions {
  settings: FleetSettings;
  /** CACHE_TTL_MS. */
  cacheTtlMs: number;
  /** SUBSCRIPTION_POLL_MS: sets the poller lease. */
  subscriptionPollMs: number;
  /** ATHENA_REQUEST_TIMEOUT_MS × attempts: how long a replica may lead one shared read. */
  upstreamCallMs: number;
  logger?: Logger | undefined;
  metrics?: GatewayMetrics | undefined;
}

export class Fleet {
  /** Set with REDIS_URL. */
  readonly link: RedisLink | undefined;
  /** Fleet-wide election of the poller of each watched key; undefined without Redis. */
  readonly pollCoordination: PollCoordination | undefined;
  readonly #options: FleetOptions;
  readonly #budget: UpstreamBudget | undefined;
  /** Replicas alive, for the budget's share while Redis is away; only with both REDIS_URL and ATHENA_RATE_LIMIT. */
  readonly #roster: ReplicaRoster | undefined;
  #fleetPort: FleetAthenaPort | undefined;

  constructor(options: FleetOptions) {
    this.#options = options;
    const { redisUrl, keyPrefix, rateLimitPerSecond } = options.settings;
    this.link =
      redisUrl === undefined
        ? undefined
        : new RedisLink({
            url: redisUrl,
            keyPrefix,
            logger: options.logger,
            slowThresholdMs: () => this.#fleetPort?.slowRedisMs() ?? 250,
          });
    if (this.link !== undefined && redisUrl !== undefined) {
      options.metrics?.watchRedis(() => this.link!.state, redactRedisUrl(redisUrl));
      this.pollCoordination = new RedisPollLeases(this.link, {
        intervalMs: options.subscriptionPollMs,
        onError: (error) =>
          options.logger?.debug({ err: error }, 'poller lease: Redis failed; this replica polls on its own'),
      });
    }
    this.#budget =
      rateLimitPerSecond === undefined
        ? undefined
        : new UpstreamBudget({
            perSecond: rateLimitPerSecond,
            link: this.link,
            onWait: options.metrics?.recordBudgetWait,
          });
    if (this.link !== undefined && this.#budget !== undefined) {
      const budget = this.#budget;
      this.#roster = new ReplicaRoster(this.link, {
        onCount: (replicas) => {
          budget.shareWith(replicas);
          options.logger?.info(
            { replicas, shareWhileRedisIsDown: rateLimitPerSecond! / replicas },
            `fleet: ${replicas} replicas alive; without Redis each keeps to its share of ATHENA_RATE_LIMIT`,
          );
        },
      });
    }
  }

  /** The SDK adapter held to ATHENA_RATE_LIMIT, when set (under the resilient port, so every real call counts). */
  upstream(adapter: AthenaPort): AthenaPort {
    return this.#budget === undefined ? adapter : budgeted(adapter, this.#budget);
  }

  /**
   * The gateway's outermost port. Without Redis: the caching port. With Redis: reads and
   * invalidations shared through it, the caching port whenever Redis cannot help.
   */
  port(resilient: AthenaPort, makeLocal: () => CachingAthenaPort): AthenaPort {
    if (this.link === undefined) return makeLocal();
    const reads = new SharedReads(this.link, {
      ttlMs: this.#options.cacheTtlMs,
      lockTtlMs: this.#options.upstreamCallMs,
      lookupBudgetMs: LOOKUP_BACKSTOP_MS,
      onEvent: this.#options.metrics?.recordSharedCacheEvent,
    });
    this.#fleetPort = new FleetAthenaPort({
      link: this.link,
      reads,
      direct: resilient,
      local: makeLocal,
      ttlMs: this.#options.cacheTtlMs,
    });
    return this.#fleetPort;
  }

  /** Resolves once the first connection attempt settled (so the start log says where the fleet stands). */
  async connected(timeoutMs = 2_000): Promise<void> {
    const link = this.link;
    if (link === undefined || link.state !== 'connecting') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const off = link.onStateChange(done);
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  async close(): Promise<void> {
    this.#roster?.close();
    await this.link?.close();
  }
}
