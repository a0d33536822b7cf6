// Fleet-wide election of one poller per key (a watched session or calculation): a lease in Redis (SET NX PX),
// renewed by its holder at every poll. The lease lasts two intervals, and every other replica that
// watches the key asks for it at each of its own intervals, so when the holder dies (kill -9)
// another replica polls within three intervals. Statuses travel on a channel per key.
import { randomUUID } from 'node:crypto';
import type { PollCoordination } from '../subscriptions/status-poller.js';
import { decode, encode } from './codec.js';
import type { RedisLink } from './redis-link.js';

// KEYS[1]: lease. ARGV: holder id, ttl. 1 when the caller holds the lease (renewed or taken).
const TAKE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const RESIGN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface LeaseCommands {
  fleetLease(key: string, holder: string, ttlMs: number): Promise<number>;
  fleetResign(key: string, holder: string): Promise<number>;
}

export interface PollLeasesOptions {
  /** SUBSCRIPTION_POLL_MS. */
  intervalMs: number;
  onError?: ((error: unknown) => void) | undefined;
}

export class RedisPollLeases implements PollCoordination {
  readonly #link: RedisLink;
  readonly #commands: LeaseCommands;
  readonly #holder = randomUUID();
  readonly #leaseMs: number;
  readonly #onError: PollLeasesOptions['onError'];

  constructor(link: RedisLink, options: PollLeasesOptions) {
    this.#link = link;
    this.#leaseMs = 2 * options.intervalMs;
    this.#onError = options.onError;
    link.commands.defineCommand('fleetLease', { numberOfKeys: 1, lua: TAKE_OR_RENEW });
    link.commands.defineCommand('fleetResign', { numberOfKeys: 1, lua: RESIGN });
    this.#commands = link.commands as unknown as LeaseCommands;
  }

  async lead(key: string): Promise<boolean> {
    // Without Redis every replica polls for its own subscribers, as a single gateway does.
    if (this.#link.state !== 'up') return true;
    try {
      return (await this.#commands.fleetLease(this.#link.key('lease', key), this.#holder, this.#leaseMs)) === 1;
    } catch (error) {
      this.#onError?.(error);
      return true;
    }
  }

  publish(key: string, status: unknown): void {
    if (this.#link.state !== 'up') return;
    this.#link.commands
      .publish(this.#link.key('poll', key), encode(status))
      .catch((error: unknown) => this.#onError?.(error));
  }

  listen(key: string, onStatus: (status: unknown) => void): () => void {
    // Subscribing while Redis is down fails; the link subscribes again by itself once it returns.
    const listening = this.#link.listen(this.#link.key('poll', key), (message) => onStatus(decode<unknown>(message)));
    listening.subscribed.catch((error: unknown) => this.#onError?.(error));
    return listening.stop;
  }

  resign(key: string): void {
    if (this.#link.state !== 'up') return;
    this.#commands
      .fleetResign(this.#link.key('lease', key), this.#holder)
      .catch((error: unknown) => this.#onError?.(error));
  }
}
