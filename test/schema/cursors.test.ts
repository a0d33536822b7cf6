import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SessionState } from '../../src/athena/port.js';
import { CursorCodec, type CursorPosition } from '../../src/schema/cursors.js';

const secret = Buffer.from('a secret of some length');
const codec = new CursorCodec(secret);
const position = { workGroup: 'primary', state: undefined, pageToken: 'tok', index: 3, sessionId: 's-1' } as const;
/**
 * What only the holder of the secret can write: a payload of the test's choosing with a valid MAC,
 * so that each check after the MAC is reached alone.
 */
const signed = (payload: string) =>
  `${payload}.${createHmac('sha256', secret).update(payload).digest().subarray(0, 16).toString('base64url')}`;
const signedJson = (value: unknown) => signed(Buffer.from(JSON.stringify(value), 'utf8').toString('base64url'));

describe('CursorCodec', () => {
  it('round-trips a position for the same work group and state', () => {
    expect(codec.decode(codec.encode(position), { workGroup: 'primary', state: undefined })).toEqual(position);
  });

  it('is opaque and URL-safe', () => {
    const cursor = codec.encode(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('primary');
  });

  it('rejects a cursor signed with another secret (another deployment, or a forgery)', () => {
    const other = new CursorCodec(Buffer.from('another secret'));
    expect(() => codec.decode(other.encode(position), { workGroup: 'primary', state: undefined })).toThrow(/invalid/);
  });

  it('rejects a cursor whose payload was edited', () => {
    const [payload, mac] = codec.encode(position).split('.');
    const edited = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('primary', 'analytics')).toString(
      'base64url',
    );
    expect(() => codec.decode(`${edited}.${mac}`, { workGroup: 'analytics', state: undefined })).toThrow(/invalid/);
  });

  it('binds a cursor to its work group and state', () => {
    const cursor = codec.encode(position);
    expect(() => codec.decode(cursor, { workGroup: 'analytics', state: undefined })).toThrow(
      /different workGroup or state/,
    );
    expect(() => codec.decode(cursor, { workGroup: 'primary', state: 'IDLE' })).toThrow(/different workGroup or state/);
  });

  it.each(['', '.', 'a.b.c', 'x'.repeat(5000), '%%%.%%%', 'eyJ9.AAAA'])('rejects %j as BAD_USER_INPUT', (cursor) => {
    try {
      codec.decode(cursor, { workGroup: 'primary', state: undefined });
      throw new Error('accepted');
    } catch (error) {
      expect((error as { extensions?: { code?: string } }).extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

// The codec's invariants field by field.
describe('CursorCodec, each field on its own', () => {
  const primary = { workGroup: 'primary', state: undefined } as const;
  const rejection = (cursor: string, expected: { workGroup: string; state: SessionState | undefined } = primary) => {
    try {
      codec.decode(cursor, expected);
    } catch (error) {
      return error as { message: string; extensions?: Record<string, unknown> };
    }
    throw new Error(`accepted ${cursor}`);
  };

  it('round-trips the first page of a connection (no page token, before the first edge) and a state filter', () => {
    const first: CursorPosition = {
      workGroup: 'primary',
      state: 'IDLE',
      pageToken: undefined,
      index: -1,
      sessionId: undefined,
    };
    expect(codec.decode(codec.encode(first), { workGroup: 'primary', state: 'IDLE' })).toEqual(first);
    const noSession: CursorPosition = { ...position, sessionId: undefined };
    expect(codec.decode(codec.encode(noSession), primary)).toEqual(noSession);
    const noToken: CursorPosition = { ...position, pageToken: undefined };
    expect(codec.decode(codec.encode(noToken), primary)).toEqual(noToken);
  });

  it('the same position gives the same cursor every time, and different positions different cursors', () => {
    expect(codec.encode({ ...position })).toBe(codec.encode(position));
    expect(new CursorCodec(secret).encode(position)).toBe(codec.encode(position));
    expect(codec.encode({ ...position, index: 4 })).not.toBe(codec.encode(position));
  });

  it('names the `after` argument in every rejection', () => {
    expect(rejection('garbage').extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
    expect(rejection(codec.encode(position), { workGroup: 'analytics', state: undefined }).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'after',
    });
  });

  it('accepts its own cursors up to 4096 characters and refuses longer ones before any other work, signed or not', () => {
    const ofLength = (length: number) => {
      // A payload whose base64url has one character too many decodes the same (the extra bits are
      // dropped), which lets every length be reached.
      // 3 bytes per 4 characters, a MAC and a dot of 23, and 30-odd bytes of framing: start just below.
      for (let tokenLength = Math.floor(((length - 23) * 3) / 4) - 40; ; tokenLength += 1) {
        const json = Buffer.from(JSON.stringify([1, 'primary', '', 't'.repeat(tokenLength), 0, 's-1'])).toString(
          'base64url',
        );
        for (const payload of [json, `${json}A`]) {
          const cursor = signed(payload);
          if (cursor.length === length) return cursor;
        }
      }
    };
    const longest = ofLength(4096);
    expect(codec.decode(longest, primary).pageToken).toMatch(/^t+$/);
    expect(rejection(ofLength(4097)).message).toMatch(/invalid/);
    expect(rejection(codec.encode({ ...position, pageToken: 't'.repeat(5000) })).message).toMatch(/invalid/);
  });

  it.each([
    ['no dot at all', 'abc'],
    ['a third part after a valid MAC', `${codec.encode(position)}.extra`],
    ['a MAC of another length', `${codec.encode(position).split('.')[0]}.AAAA`],
  ])('refuses %s as BAD_USER_INPUT', (_name, cursor) => {
    expect(rejection(cursor).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['a payload that is not JSON', signed(Buffer.from('{not json').toString('base64url'))],
    ['an object instead of the field list', signedJson({ workGroup: 'primary' })],
    ['five fields', signedJson([1, 'primary', '', '', 0])],
    ['seven fields', signedJson([1, 'primary', '', '', 0, '', ''])],
    ['another version', signedJson([2, 'primary', '', '', 0, ''])],
    ['a work group that is not a string', signedJson([1, 7, '', '', 0, ''])],
    ['a state that is not a string', signedJson([1, 'primary', null, '', 0, ''])],
    ['a page token that is not a string', signedJson([1, 'primary', '', 5, 0, ''])],
    ['a session id that is not a string', signedJson([1, 'primary', '', '', 0, null])],
    ['an index that is a string', signedJson([1, 'primary', '', '', '3', ''])],
    ['an index that is not an integer', signedJson([1, 'primary', '', '', 1.5, ''])],
    ['an index below -1', signedJson([1, 'primary', '', '', -2, ''])],
  ])('refuses a correctly signed cursor with %s', (_name, cursor) => {
    const error = rejection(cursor);
    expect(error.message).toMatch(/invalid/);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
  });

  it('accepts index -1 and maps empty strings back to absent fields', () => {
    expect(codec.decode(signedJson([1, 'primary', '', '', -1, '']), primary)).toEqual({
      workGroup: 'primary',
      state: undefined,
      pageToken: undefined,
      index: -1,
      sessionId: undefined,
    });
  });
});

// What calculations' cursor check reads before the session's own call: the position, unbound.
describe('CursorCodec.decodeAnyScope', () => {
  it('returns the work group and state a cursor was issued for, and absent fields as undefined', () => {
    const full: CursorPosition = { workGroup: 'calc:s-1', state: 'IDLE', pageToken: 't', index: 2, sessionId: 'c-1' };
    expect(codec.decodeAnyScope(codec.encode(full))).toStrictEqual(full);
    const first: CursorPosition = {
      workGroup: 'primary',
      state: undefined,
      pageToken: undefined,
      index: -1,
      sessionId: undefined,
    };
    expect(codec.decodeAnyScope(codec.encode(first))).toStrictEqual(first);
  });

  it('refuses, as undefined, what decode refuses before the binding: foreign, altered, sealed for another connection', () => {
    const cursor = codec.encode(position);
    expect(codec.decodeAnyScope(new CursorCodec(Buffer.from('another secret')).encode(position))).toBeUndefined();
    expect(codec.decodeAnyScope(`${cursor}x`)).toBeUndefined();
    expect(codec.decodeAnyScope(`A${cursor}`)).toBeUndefined();
    expect(codec.decodeAnyScope(codec.seal('wg1', ['', 0, '']))).toBeUndefined();
    // Six members like a position's, but the first is a kind (a string), not this codec's version.
    expect(codec.decodeAnyScope(codec.seal('1', ['primary', '', 'tok', 3, 's-1']))).toBeUndefined();
  });
});

// The cursors of the other connections (allSessions, workGroups): a kind and fields of their own.
describe('CursorCodec.seal and open', () => {
  const long = 1_000;

  it('round-trips the fields unchanged: strings (empty ones too), numbers, null and nested lists', () => {
    const fields = ['', 'to.ken/+=', -1, 0, 2.5, null, ['primary', 'analytics'], [['wg', '', 3, 's-1']], 'ü 日本'];
    const cursor = codec.seal('wg1', fields);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('primary');
    expect(codec.open('wg1', cursor, long)).toStrictEqual(fields);
    expect(codec.open('wg1', codec.seal('wg1', []), long)).toStrictEqual([]);
    // Another replica with the same CURSOR_SECRET opens it too.
    expect(new CursorCodec(secret).open('wg1', cursor, long)).toStrictEqual(fields);
  });

  it('opens a cursor of exactly maxLength and refuses one a character longer, though correctly signed', () => {
    const cursor = codec.seal('wg1', ['t'.repeat(100), 0, '']);
    expect(codec.open('wg1', cursor, cursor.length)).toStrictEqual(['t'.repeat(100), 0, '']);
    expect(codec.open('wg1', cursor, cursor.length - 1)).toBeUndefined();
  });

  it("refuses another kind's cursor, the session connection's own, and a kind that only begins the same", () => {
    const workGroups = codec.seal('wg1', ['', 0, '']);
    expect(codec.open('all2', workGroups, long)).toBeUndefined();
    expect(codec.open('wg', workGroups, long)).toBeUndefined();
    expect(codec.open('wg1', codec.seal('all2', ['', 0, '']), long)).toBeUndefined();
    // A session connection's cursor starts with the number 1, never a kind.
    expect(codec.open('1', codec.encode(position), long)).toBeUndefined();
  });

  const sealed = codec.seal('wg1', ['tok', 3, 'analytics']);
  const [payload, mac] = sealed.split('.') as [string, string];
  it.each([
    ['the empty string', ''],
    ['no dot at all', payload],
    ['a third part after a valid MAC', `${sealed}.extra`],
    ['a MAC of another length', `${payload}.AAAA`],
    [
      'a MAC from another secret (another deployment, or a rotated CURSOR_SECRET)',
      new CursorCodec(Buffer.from('another secret')).seal('wg1', ['tok', 3, 'analytics']),
    ],
    [
      'an edited payload under the original MAC',
      `${Buffer.from(JSON.stringify(['wg1', 'tok', 4, 'analytics'])).toString('base64url')}.${mac}`,
    ],
    ['a signed payload that is not JSON', signed(Buffer.from('["wg1",').toString('base64url'))],
    ['a signed object instead of a list', signedJson({ 0: 'wg1', length: 1 })],
    ['a signed string', signedJson('wg1')],
    ['a signed null', signedJson(null)],
  ])('refuses %s', (_name, cursor) => {
    expect(codec.open('wg1', cursor, long)).toBeUndefined();
  });
});
