// The fleet's two connections to Redis (commands, and pub/sub, which needs a connection of its own)
// and the one answer everything else asks: may Redis be used right now? Redis is help, not a
// dependency: while it is unreachable or slow, every caller takes its in-process path instead, so
// commands never queue while disconnected (they fail at once) and reconnecting is retried for ever.
import { Redis, type RedisOptions } from 'ioredis';
import { redactRedisUrl } from '../config.js';
import type { Logger } from '../observability/logger.js';

export type RedisLinkState = 'connecting' | 'up' | 'down';

export interface RedisLinkOptions {
  url: string;
  /** Prefix of every key and channel (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  logger?: Logger | undefined;
  /** How long Redis is bypassed once it proved slow, before it is tried again. */
  slowBypassMs?: number | undefined;
  /** A round trip longer than this is slow (default 250 ms); the fleet ties it to the upstream latency. */
  slowThresholdMs?: (() => number) | undefined;
}

type Handler = (message: string) => void;

const DEFAULT_SLOW_BYPASS_MS = 2_000;
const SLOW_ANSWERS_BEFORE_BYPASS = 2;
/** How often the round trip to Redis is measured (one PING). */
const PROBE_INTERVAL_MS = 500;
/** Backstop for a command that never answers; callers race their own, much shorter, budgets. */
const COMMAND_TIMEOUT_MS = 2_000;

export class RedisLink {
  readonly commands: Redis;
  readonly #subscriber: Redis;
  readonly keyPrefix: string;
  readonly #logger: Logger | undefined;
  readonly #target: string;
  readonly #slowBypassMs: number;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #listeners = new Set<(state: RedisLinkState) => void>();
  #state: RedisLinkState = 'connecting';
  #bypassUntil = 0;
  #lateInARow = 0;
  #closed = false;
  readonly #slowThresholdMs: () => number;
  readonly #probe: NodeJS.Timeout;
  #pingSentAt: number | undefined;

  constructor(options: RedisLinkOptions) {
    this.keyPrefix = options.keyPrefix;
    this.#logger = options.logger;
    this.#target = redactRedisUrl(options.url);
    this.#slowBypassMs = options.slowBypassMs ?? DEFAULT_SLOW_BYPASS_MS;
    this.#slowThresholdMs = options.slowThresholdMs ?? (() => 250);
    const settings: RedisOptions = {
      // Fail at once while disconnected: the caller has an in-process path, waiting helps nobody.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 1_000,
      // Reconnect for ever, quickly: sharing resumes by itself within about a second of Redis returning.
      retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
      // Password, user and TLS (rediss://) come from the URL; ioredis never logs them.
      lazyConnect: false,
    };
    this.commands = new Redis(options.url, { ...settings, connectionName: 'athena-gateway' });
    this.#subscriber = new Redis(options.url, {
      ...settings,
      connectionName: 'athena-gateway-sub',
      commandTimeout: undefined,
    });
    for (const connection of [this.commands, this.#subscriber]) {
      connection.on('ready', () => this.#update());
      connection.on('close', () => this.#update());
      connection.on('end', () => this.#update());
      // Connection errors are reported by the state transitions; an 'error' without a listener would crash the process.
      connection.on('error', () => this.#update());
    }
    // Channels whose first SUBSCRIBE failed (Redis was down) are not known to ioredis's own resubscription.
    this.#subscriber.on('ready', () => {
      const channels = [...this.#handlers.keys()];
      if (channels.length > 0) this.#subscriber.subscribe(...channels).catch(() => undefined);
    });
    // A slow Redis is noticed by measuring it, not by failing operations: a PING every half second.
    this.#probe = setInterval(() => this.#measure(), PROBE_INTERVAL_MS);
    this.#probe.unref();
    this.#subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.#handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch {
          // One listener's bug must not keep the others from hearing the message.
        }
      }
    });
  }

  get state(): RedisLinkState {
    return this.#state;
  }

  /** Whether to use Redis now: both connections ready and no recent sign of slowness. */
  get usable(): boolean {
    return this.#state === 'up' && performance.now() >= this.#bypassUntil;
  }

  /**
   * Redis answered too late (a PING over the threshold, or a command past its caller's backstop).
   * Twice in a row (once may be this process's own busy event loop): bypass it for a while rather
   * than make every operation wait.
   */
  markSlow(): void {
    this.#lateInARow += 1;
    if (this.#lateInARow < SLOW_ANSWERS_BEFORE_BYPASS || performance.now() < this.#bypassUntil) return;
    this.#lateInARow = 0;
    this.#bypassUntil = performance.now() + this.#slowBypassMs;
    this.#logger?.warn(
      { redis: this.#target, bypassMs: this.#slowBypassMs },
      'Redis is slow: this replica works on its own for a while',
    );
  }

  key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  onStateChange(listener: (state: RedisLinkState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Listens to a channel until `stop()`. `subscribed` resolves once Redis confirmed the
   * subscription (nothing published after it is missed) and rejects when Redis is unusable; the
   * listener stays registered either way and is subscribed again whenever Redis comes back.
   */
  listen(channel: string, handler: Handler): { subscribed: Promise<void>; stop: () => void } {
    let handlers = this.#handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    const stop = () => {
      const current = this.#handlers.get(channel);
      if (current === undefined || !current.delete(handler) || current.size > 0) return;
      this.#handlers.delete(channel);
      if (this.#subscriber.status === 'ready') this.#subscriber.unsubscribe(channel).catch(() => undefined);
    };
    // SUBSCRIBE is idempotent: asking again for a channel already subscribed only confirms it.
    const subscribed = this.#subscriber.subscribe(channel).then(() => undefined);
    subscribed.catch(() => undefined);
    return { subscribed, stop };
  }

  #measure(): void {
    if (this.#state !== 'up') return;
    const threshold = this.#slowThresholdMs();
    if (this.#pingSentAt !== undefined) {
      // The last PING is still out: as late as it gets.
      if (performance.now() - this.#pingSentAt > threshold) this.markSlow();
      return;
    }
    const sentAt = performance.now();
    this.#pingSentAt = sentAt;
    this.commands
      .ping()
      .then(() => {
        if (performance.now() - sentAt <= threshold) this.#lateInARow = 0;
      })
      .catch(() => undefined)
      .finally(() => {
        this.#pingSentAt = undefined;
      });
  }

  async close(): Promise<void> {
    clearInterval(this.#probe);
    this.#closed = true;
    this.#handlers.clear();
    await Promise.allSettled([this.commands.quit(), this.#subscriber.quit()]);
    this.commands.disconnect();
    this.#subscriber.disconnect();
  }

  #update(): void {
    const next: RedisLinkState =
      this.commands.status === 'ready' && this.#subscriber.status === 'ready'
        ? 'up'
        : this.#state === 'connecting' && !['close', 'end', 'reconnecting'].includes(this.commands.status)
          ? 'connecting'
          : 'down';
    if (next === this.#state) return;
    const previous = this.#state;
    this.#state = next;
    // One line per transition, never per failed command.
    if (next === 'up') {
      this.#logger?.info(
        { redis: this.#target },
        previous === 'down'
          ? 'Redis is reachable again: replicas share their work'
          : 'Redis connected: replicas share their work',
      );
    } else if (next === 'down' && !this.#closed) {
      this.#logger?.warn(
        { redis: this.#target },
        'Redis is unreachable: this replica works on its own (in-process sharing and pollers) until it returns',
      );
    }
    for (const listener of this.#listeners) listener(next);
  }
}
