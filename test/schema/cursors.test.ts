import { describe, expect, it } from 'vitest';
import { CursorCodec } from '../../src/schema/cursors.js';

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
    const edited = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('primary', 'analytics')).toString('base64url');
    expect(() => codec.decode(`${edited}.${mac}`, { workGroup: 'analytics', state: undefined })).toThrow(/invalid/);
  });

  it('binds a cursor to its work group and state', () => {
    const cursor = codec.encode(position);
    expect(() => codec.decode(cursor, { workGroup: 'analytics', state: undefined })).toThrow(/different workGroup or state/);
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
