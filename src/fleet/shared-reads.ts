// Reads shared by every replica through Redis: the fleet-wide counterpart of the caching port's
// in-flight sharing and caches, with the same rules.
// - A read first asks Redis (one script, one round trip): a fresh cached answer is a hit; otherwise
//   the first replica to ask takes a short lock and makes the upstream call ("leads"), and every
//   replica asking meanwhile waits for the answer it publishes. With CACHE_TTL_MS=0 nothing is
//   cached and only this in-flight sharing remains.
// - Every key embeds the generations of what it depends on (the session, its work group, all
//   lists). A write bumps them before it answers, so from then on no replica can find the old
//   answer or join a call sent before the write; an answer whose generations moved while its call
//   was in flight still reaches those waiting for it, but is not cached.
// - Whenever Redis cannot help (down, slow, an error), the read takes the caller's in-process path.
import { randomUUID } from 'node:crypto';
import type { CacheName } from '../athena/cache-policy.js';
import { AthenaError, type AthenaErrorKind, type AthenaOperation, isAthenaError } from '../athena/port.js';
import { decode, encode } from './codec.js';
import type { RedisLink } from './redis-link.js';

/** The caching port's caches, and which session each calculation belongs to (kept like immutable fields). */
export type SharedCacheName = CacheName | 'calculation-session';
/** hit: answered from Redis; miss: this replica made the call; shared: joined another's call; error: Redis failed, the in-process path answered. */
export type SharedOutcome = 'hit' | 'miss' | 'shared' | 'error';

export interface SharedReadEvent {
  cache: SharedCacheName;
  outcome: SharedOutcome;
}

export interface SharedRead<T> {
  cache: SharedCacheName;
  operation: AthenaOperation;
  /** Identifies the read (without prefix). */
  key: string;
  /** Generation names whose bump makes the answer stale. */
  scopes: readonly string[];
  /** The upstream call, made by the leading replica only. */
  fetch: (signal: AbortSignal | undefined) => Promise<T>;
  /**
   * What to cache besides the read itself: other reads this answer also answers (a GetSession
   * answers the status too). They are filed under the read's own generations.
   */
  alsoCaches?: ((value: T) => readonly { cache: SharedCacheName; key: string; value: unknown }[]) | undefined;
  /** How long the answer is served again, when not CACHE_TTL_MS (what never changes is kept longer). */
  ttlMs?: number | undefined;
}

export interface SharedReadsOptions {
  /** CACHE_TTL_MS: how long an answer is served again; 0 = only calls in flight are shared. */
  ttlMs: number;
  /** How long a leading replica may hold a read before others stop waiting and ask again (it may have died). */
  lockTtlMs: number;
  /** Time Redis gets to answer a lookup before a read goes its own way: a backstop, slowness is measured by the link. */
  lookupBudgetMs: number;
  onEvent?: ((event: SharedReadEvent) => void) | undefined;
}

/** An answer kept for those who saw its call in flight, long enough for them to subscribe and read it. */
const RESULT_KEEP_MS = 5_000;
/** Generations outlive every cached answer that embeds them. */
const GENERATION_TTL_MS = 24 * 3_600_000;

// KEYS: generations. ARGV: base key, lock ttl, token. Returns [outcome, value-or-holder-token, generation suffix].
const LOOKUP = `
local gens = {}
for i = 1, #KEYS do gens[i] = redis.call('GET', KEYS[i]) or '0' end
local suffix = table.concat(gens, '.')
local cached = redis.call('GET', ARGV[1] .. '|c|' .. suffix)
if cached then return {'hit', cached, suffix} end
local lock = ARGV[1] .. '|l|' .. suffix
if redis.call('SET', lock, ARGV[3], 'NX', 'PX', ARGV[2]) then return {'lead', '', suffix} end
return {'wait', redis.call('GET', lock) or '', suffix}
`;

// KEYS: generations. ARGV: suffix when sent, ttl, token, base key, result key, channel, message,
// then pairs (base key, value) to cache when the generations did not move.
const SETTLE = `
local gens = {}
for i = 1, #KEYS do gens[i] = redis.call('GET', KEYS[i]) or '0' end
if table.concat(gens, '.') == ARGV[1] and tonumber(ARGV[2]) > 0 then
  for i = 8, #ARGV, 2 do redis.call('SET', ARGV[i] .. '|c|' .. ARGV[1], ARGV[i + 1], 'PX', ARGV[2]) end
end
redis.call('SET', ARGV[5], ARGV[7], 'PX', ${RESULT_KEEP_MS})
local lock = ARGV[4] .. '|l|' .. ARGV[1]
if redis.call('GET', lock) == ARGV[3] then redis.call('DEL', lock) end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`;

type LookupReply = [outcome: 'hit' | 'lead' | 'wait', value: string, suffix: string];

interface FleetCommands {
  fleetLookup(numKeys: number, ...args: (string | number)[]): Promise<LookupReply>;
  fleetSettle(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

/** Messages to waiters: v + value, e + error, or r: ask again (the leader gave up). */
const RETRY = 'r';

export class RedisUnusable extends Error {
  override readonly name = 'RedisUnusable';
}

export class SharedReads {
  readonly #link: RedisLink;
  readonly #commands: FleetCommands;
  readonly #options: SharedReadsOptions;

  constructor(link: RedisLink, options: SharedReadsOptions) {
    this.#link = link;
    this.#options = options;
    link.commands.defineCommand('fleetLookup', { lua: LOOKUP });
    link.commands.defineCommand('fleetSettle', { lua: SETTLE });
    this.#commands = link.commands as unknown as FleetCommands;
  }

  /**
   * The read through Redis, or `fallback()` (the in-process path) when Redis cannot help.
   * Upstream failures are the caller's as usual; Redis failures never are.
   */
  async read<T>(read: SharedRead<T>, signal: AbortSignal | undefined, fallback: () => Promise<T>): Promise<T> {
    if (!this.#link.usable) return fallback();
    const gens = read.scopes.map((scope) => this.#link.key('gen', scope));
    const base = this.#link.key(read.cache, read.key);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const token = randomUUID();
      let reply: LookupReply;
      try {
        reply = await this.#withinBudget(
          this.#commands.fleetLookup(gens.length, ...gens, base, this.#options.lockTtlMs, token),
          (late) => {
            // Redis answered after the read went its own way: give up the lock it may have granted.
            if (late?.[0] === 'lead') void this.#settle(gens, late[2], token, base, RETRY, []).catch(() => undefined);
          },
        );
      } catch {
        this.#record(read.cache, 'error');
        return fallback();
      }
      const [outcome, value, suffix] = reply;
      if (outcome === 'hit') {
        this.#record(read.cache, 'hit');
        return decode<T>(value);
      }
      if (outcome === 'lead') {
        this.#record(read.cache, 'miss');
        return this.#lead(read, gens, base, suffix, token, signal);
      }
      this.#record(read.cache, 'shared');
      let message: string | undefined;
      try {
        message = await this.#await(value, read.operation, signal);
      } catch (error) {
        if (error instanceof RedisUnusable) return fallback();
        throw error;
      }
      if (message === undefined || message === RETRY) continue;
      if (message.startsWith('v')) return decode<T>(message.slice(1));
      const failure = JSON.parse(message.slice(1)) as { kind: AthenaErrorKind; message: string };
      throw new AthenaError(failure.kind, read.operation, failure.message);
    }
    return fallback();
  }

  /** Makes every answer that depends on these generations unreachable, fleet-wide, before resolving. */
  async invalidate(scopes: readonly string[]): Promise<boolean> {
    if (!this.#link.usable || scopes.length === 0) return false;
    const pipeline = this.#link.commands.multi();
    for (const scope of scopes) {
      const key = this.#link.key('gen', scope);
      pipeline.incr(key).pexpire(key, GENERATION_TTL_MS);
    }
    try {
      await this.#withinBudget(pipeline.exec(), () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  /** A value kept without generations (what never changes), or undefined. */
  async peek<T>(cache: SharedCacheName, key: string): Promise<T | undefined> {
    if (!this.#link.usable) return undefined;
    try {
      const text = await this.#withinBudget(this.#link.commands.get(this.#link.key(cache, key)), () => undefined);
      this.#record(cache, text === null ? 'miss' : 'hit');
      return text === null ? undefined : decode<T>(text);
    } catch {
      this.#record(cache, 'error');
      return undefined;
    }
  }

  keep(cache: SharedCacheName, key: string, value: unknown, ttlMs: number): void {
    if (!this.#link.usable) return;
    this.#link.commands.set(this.#link.key(cache, key), encode(value), 'PX', ttlMs).catch(() => undefined);
  }

  async #lead<T>(
    read: SharedRead<T>,
    gens: string[],
    base: string,
    suffix: string,
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    let value: T;
    try {
      value = await read.fetch(signal);
    } catch (error) {
      // Waiters share an upstream failure, as they would in one process; but this caller leaving
      // (or a failure that is not Athena's) is no answer for them: they ask again.
      const shareable = isAthenaError(error) && !(error.kind === 'aborted' && signal?.aborted === true);
      const message = shareable ? `e${JSON.stringify({ kind: error.kind, message: error.message })}` : RETRY;
      void this.#settle(gens, suffix, token, base, message, [], read.ttlMs).catch(() => undefined);
      throw error;
    }
    const text = encode(value);
    const entries: string[] = [base, text];
    for (const also of read.alsoCaches?.(value) ?? [])
      entries.push(this.#link.key(also.cache, also.key), encode(also.value));
    // Not awaited: the caller has its answer; Redis keeps the order of this replica's commands.
    void this.#settle(gens, suffix, token, base, `v${text}`, entries, read.ttlMs).catch(() => undefined);
    return value;
  }

  #settle(
    gens: string[],
    suffix: string,
    token: string,
    base: string,
    message: string,
    entries: string[],
    ttlMs = this.#options.ttlMs,
  ): Promise<number> {
    const channel = this.#link.key('done', token);
    return this.#commands.fleetSettle(
      gens.length,
      ...gens,
      suffix,
      ttlMs,
      token,
      base,
      channel,
      channel,
      message,
      ...entries,
    );
  }

  /** The message of the call `holder` leads; undefined when it did not come in time (the leader may have died). */
  async #await(
    holder: string,
    operation: AthenaOperation,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    if (holder === '') return undefined;
    const channel = this.#link.key('done', holder);
    let resolveMessage!: (message: string | undefined) => void;
    let rejectMessage!: (error: unknown) => void;
    const arrived = new Promise<string | undefined>((resolve, reject) => {
      resolveMessage = resolve;
      rejectMessage = reject;
    });
    const listening = this.#link.listen(channel, (message) => resolveMessage(message));
    const stopListening = listening.stop;
    try {
      await listening.subscribed;
    } catch {
      stopListening();
      throw new RedisUnusable('subscribe failed');
    }
    const timer = setTimeout(() => resolveMessage(undefined), this.#options.lockTtlMs);
    const onAbort = () =>
      rejectMessage(
        new AthenaError('aborted', operation, `${operation} abandoned: the caller went away before Athena answered`, {
          cause: signal?.reason,
        }),
      );
    signal?.addEventListener('abort', onAbort, { once: true });
    const offState = this.#link.onStateChange((state) => {
      if (state !== 'up') rejectMessage(new RedisUnusable('Redis went away while waiting'));
    });
    try {
      // Published before we listened? Its answer is kept for a moment under the channel's name.
      this.#link.commands
        .get(channel)
        .then((kept) => kept !== null && resolveMessage(kept))
        .catch(() => rejectMessage(new RedisUnusable('lookup failed')));
      return await arrived;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      offState();
      stopListening();
    }
  }

  /** Redis gets the budget; past it the read goes its own way and Redis is bypassed for a while. */
  #withinBudget<T>(command: Promise<T>, onLate: (value: T | undefined) => void): Promise<T> {
    const budgetMs = this.#options.lookupBudgetMs;
    return new Promise<T>((resolve, reject) => {
      let late = false;
      let settled = false;
      // After a long busy spell the timer and Redis's answer are both due; timers run first, so the
      // verdict waits for the I/O phase (setImmediate), where an answer already received wins.
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (settled) return;
            late = true;
            this.#link.markSlow();
            reject(new RedisUnusable(`Redis did not answer within ${budgetMs} ms`));
          }),
        budgetMs,
      );
      command.then(
        (value) => {
          settled = true;
          clearTimeout(timer);
          if (late) onLate(value);
          else resolve(value);
        },
        (error: unknown) => {
          settled = true;
          clearTimeout(timer);
          if (!late) reject(error);
        },
      );
    });
  }

  #record(cache: SharedCacheName, outcome: SharedOutcome): void {
    try {
      this.#options.onEvent?.({ cache, outcome });
    } catch {
      // A metrics bug must not fail the read.
    }
  }
}
