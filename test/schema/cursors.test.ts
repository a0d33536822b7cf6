import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SessionState } from '../../src/athena/port.js';
import { CursorCodec, type CursorPosition } from '../../src/schema/cursors.js';

const codec = new CursorCodec(Buffer.from('a secret of some length'));
const position = { workGroup: 'primary', state: undefined, pageToken: 'tok', index: 3, sessionId: 's-1' } as const;

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

// The codec's invariants field by field. `signed` writes what only the holder of the secret can:
// a payload of the test's choosing with a valid MAC, so each check after the MAC is reached alone.
describe('CursorCodec, each field on its own', () => {
  const secret = Buffer.from('a secret of some length');
  const signed = (payload: string) =>
    `${payload}.${createHmac('sha256', secret).update(payload).digest().subarray(0, 16).toString('base64url')}`;
  const signedJson = (value: unknown) => signed(Buffer.from(JSON.stringify(value), 'utf8').toString('base64url'));
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
