// Connection cursors: opaque to clients, integrity-protected with CURSOR_SECRET, and bound to the
// work group and state filter they were issued for. A cursor names an upstream page (by the
// NextToken that fetched it) and a position in it, plus the session at that position so that a
// resume still lands right when sessions were started in the meantime.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SessionState } from '../athena/port.js';
import { BadUserInputError } from '../errors.js';
import { MAX_CURSOR_LENGTH } from '../security/limits.js';

export interface CursorPosition {
  workGroup: string;
  state: SessionState | undefined;
  /** The NextToken that fetched the upstream page; undefined for the first page. */
  pageToken: string | undefined;
  /** Index of the edge in that page; -1 means "before the page's first item". */
  index: number;
  /** The session at that index, when there is one. */
  sessionId: string | undefined;
}

const VERSION = 1;
const MAC_BYTES = 16;

export class CursorCodec {
  readonly #secret: Buffer;
  /**
   * Cursors already issued, by position: pages served again (from the cache, or walked by many
   * clients) give the same positions, and an HMAC per edge was a tenth of a cached page's CPU.
   */
  readonly #issued = new LRUCache<string, string>({ max: 5_000 });

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  encode(position: CursorPosition): string {
    const fields = JSON.stringify([
      VERSION,
      position.workGroup,
      position.state ?? '',
      position.pageToken ?? '',
      position.index,
      position.sessionId ?? '',
    ]);
    let cursor = this.#issued.get(fields);
    if (cursor === undefined) {
      cursor = this.#sign(fields);
      this.#issued.set(fields, cursor);
    }
    return cursor;
  }

  /** Decodes a cursor issued for exactly this work group and state; anything else is BAD_USER_INPUT. */
  decode(cursor: string, expected: { workGroup: string; state: SessionState | undefined }): CursorPosition {
    const position = this.decodeAnyScope(cursor);
    if (position === undefined) {
      throw new BadUserInputError('The cursor is invalid: use a cursor from this connection, unchanged.', 'after');
    }
    if (position.workGroup !== expected.workGroup || (position.state ?? '') !== (expected.state ?? '')) {
      throw new BadUserInputError(
        'The cursor belongs to a different workGroup or state filter than this query.',
        'after',
      );
    }
    return { ...position, state: expected.state };
  }

  /**
   * A cursor signed here, whatever work group and state it was issued for; undefined when it is
   * not one (forged, altered, another connection's). For checks that run before the field knows
   * its binding, such as a calculations cursor checked before the session's own call.
   */
  decodeAnyScope(cursor: string): (Omit<CursorPosition, 'state'> & { state: string | undefined }) | undefined {
    const fields = this.#verify(cursor, MAX_CURSOR_LENGTH);
    if (!Array.isArray(fields) || fields.length !== 6 || fields[0] !== VERSION) return undefined;
    const [, workGroup, state, pageToken, index, sessionId] = fields as [
      number,
      unknown,
      unknown,
      unknown,
      unknown,
      unknown,
    ];
    if (
      typeof workGroup !== 'string' ||
      typeof state !== 'string' ||
      typeof pageToken !== 'string' ||
      typeof sessionId !== 'string'
    )
      return undefined;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < -1) return undefined;
    return {
      workGroup,
      state: state === '' ? undefined : state,
      pageToken: pageToken === '' ? undefined : pageToken,
      index,
      sessionId: sessionId === '' ? undefined : sessionId,
    };
  }

  /**
   * Signs the cursor of another connection (`allSessions`, `workGroups`). `kind` is the payload's
   * first member, so no connection accepts another's cursors (this class's own start with a number).
   */
  seal(kind: string, fields: readonly unknown[]): string {
    return this.#sign(JSON.stringify([kind, ...fields]));
  }

  /**
   * The fields of a cursor sealed here for `kind`, unchanged; undefined for anything else (or for
   * a cursor longer than `maxLength`, which is refused before any other work).
   */
  open(kind: string, cursor: string, maxLength: number): unknown[] | undefined {
    const fields = this.#verify(cursor, maxLength);
    if (!Array.isArray(fields) || fields[0] !== kind) return undefined;
    return fields.slice(1);
  }

  /** `json` as a cursor: its base64url, a dot, and the MAC of that base64url. */
  #sign(json: string): string {
    const payload = Buffer.from(json, 'utf8').toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  /**
   * The JSON value of a cursor signed here (#sign) and at most `maxLength` long; undefined for
   * anything else: too long, not two parts, a MAC that does not match, a payload that is not JSON.
   */
  #verify(cursor: string, maxLength: number): unknown {
    if (cursor.length === 0 || cursor.length > maxLength) return undefined;
    const [payload, mac, ...rest] = cursor.split('.');
    if (payload === undefined || mac === undefined || rest.length > 0) return undefined;
    const expectedMac = Buffer.from(this.#mac(payload), 'utf8');
    const givenMac = Buffer.from(mac, 'utf8');
    if (givenMac.length !== expectedMac.length || !timingSafeEqual(givenMac, expectedMac)) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest().subarray(0, MAC_BYTES).toString('base64url');
  }
}
