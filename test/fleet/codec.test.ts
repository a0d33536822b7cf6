import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/fleet/codec.js';

describe('the fleet codec', () => {
  it('keeps Dates as Dates through JSON, however deep', () => {
    const value = {
      sessionId: 's-1',
      status: { state: 'IDLE', startDateTime: new Date('2026-01-02T03:04:05.678Z'), endDateTime: undefined },
      pages: [{ at: new Date(0) }],
    };
    const back = decode<typeof value>(encode(value));
    expect(back.status.startDateTime).toBeInstanceOf(Date);
    expect(back.status.startDateTime.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(back.pages[0]!.at.getTime()).toBe(0);
    expect(back).toEqual({
      sessionId: 's-1',
      status: { state: 'IDLE', startDateTime: new Date('2026-01-02T03:04:05.678Z') },
      pages: [{ at: new Date(0) }],
    });
  });

  it('leaves alone objects that only look like a tagged date', () => {
    expect(decode(encode({ $date: 'not a number' }))).toEqual({ $date: 'not a number' });
    expect(decode(encode({ $date: 5, other: 1 }))).toEqual({ $date: 5, other: 1 });
  });
});
