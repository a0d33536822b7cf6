// Which replicas are alive: each one announces itself in Redis every beat, with a TTL, so a replica
// that died (kill -9, a lost node) drops out within the TTL. The count is what the upstream budget
// needs while Redis is away: each replica then keeps to its share of ATHENA_RATE_LIMIT, on the
// last count it saw (nothing learned while Redis is down, so the last known fleet is assumed).
import { randomUUID } from 'node:crypto';
import type { RedisLink } from './redis-link.js';

export interface ReplicaRosterOptions {
  /** How often this replica announces itself. */
  beatMs?: number | undefined;
  /** Told each time the number of replicas alive changes (this one included). */
  onCount: (replicas: number) => void;
}

const DEFAULT_BEAT_MS = 1_000;
/** A replica missing three beats in a row is gone. */
const BEATS_TO_EXPIRE = 3;

// KEYS: the roster (a sorted set: member = replica id, score = when its announcement expires, on
// Redis's clock so that replicas' clocks need not agree). ARGV: id, TTL ms. Returns the count alive.
const ANNOUNCE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
`;

interface RosterCommands {
  fleetAnnounce(numKeys: number, key: string, id: string, ttlMs: number): Promise<number>;
}

export class ReplicaRoster {
  readonly #link: RedisLink;
  readonly #id = randomUUID();
  readonly #ttlMs: number;
  readonly #onCount: (replicas: number) => void;
  readonly #timer: NodeJS.Timeout;
  #count = 1;

  constructor(link: RedisLink, options: ReplicaRosterOptions) {
    this.#link = link;
    const beatMs = options.beatMs ?? DEFAULT_BEAT_MS;
    this.#ttlMs = BEATS_TO_EXPIRE * beatMs;
    this.#onCount = options.onCount;
    link.commands.defineCommand('fleetAnnounce', { lua: ANNOUNCE });
    this.#timer = setInterval(() => void this.#announce(), beatMs);
    this.#timer.unref();
    void this.#announce();
  }

  /** Replicas alive when Redis last answered (1 until it has). */
  get count(): number {
    return this.#count;
  }

  async #announce(): Promise<void> {
    if (!this.#link.usable) return;
    try {
      const commands = this.#link.commands as unknown as RosterCommands;
      const count = await commands.fleetAnnounce(1, this.#link.key('replicas'), this.#id, this.#ttlMs);
      if (count !== this.#count && count > 0) {
        this.#count = count;
        this.#onCount(count);
      }
    } catch {
      // Redis failed: the last count stands until it answers again.
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
