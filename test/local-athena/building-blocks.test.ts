import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { AthenaError } from '../../src/local-athena/athena-error.js';
import { CallCounter } from '../../src/local-athena/call-counter.js';
import { ManualClock, systemClock } from '../../src/local-athena/clock.js';
import { NextTokenCodec } from '../../src/local-athena/next-token.js';
import { stringMapMember, validateRequest } from '../../src/local-athena/request-validator.js';
import { SessionStore } from '../../src/local-athena/session-store.js';

// Unit checks of the pieces the server is built from.

describe('clocks', () => {
  it('ManualClock moves only when told', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(500)).toBe(1_500);
    expect(clock.set(10_000)).toBe(10_000);
    expect(clock.now()).toBe(10_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.set(Number.NaN)).toThrow(RangeError);
  });

  it('systemClock follows Date.now', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});

describe('NextTokenCodec', () => {
  const scope = { workGroup: 'primary', stateFilter: undefined };
  const position = { startDateTime: 1_700_000_000_123, sessionId: 'abc' };

  it('round-trips a position within its scope', () => {
    const codec = new NextTokenCodec();
    expect(codec.decode(codec.encode(scope, position), scope)).toEqual(position);
    const idle = { workGroup: 'primary', stateFilter: 'IDLE' as const };
    expect(codec.decode(codec.encode(idle, position), idle)).toEqual(position);
  });

  it('rejects other scopes, other keys and tampering with InvalidRequestException', () => {
    const codec = new NextTokenCodec();
    const token = codec.encode(scope, position);
    const attempts = [
      () => codec.decode(token, { workGroup: 'other', stateFilter: undefined }),
      () => codec.decode(token, { workGroup: 'primary', stateFilter: 'IDLE' }),
      () => new NextTokenCodec(randomBytes(32)).decode(token, scope),
      () =>
        codec.decode(
          token.replace(/^./, (first) => (first === 'e' ? 'f' : 'e')),
          scope,
        ),
      () => codec.decode('', scope),
      () => codec.decode('a.b.c', scope),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(AthenaError);
        expect((error as AthenaError).type).toBe('InvalidRequestException');
      }
    }
  });

  it('stays within 2048 characters for the longest ids', () => {
    const codec = new NextTokenCodec();
    const token = codec.encode(
      { workGroup: 'w'.repeat(128), stateFilter: 'TERMINATING' },
      { startDateTime: Number.MAX_SAFE_INTEGER, sessionId: 's'.repeat(256) },
    );
    expect(token.length).toBeLessThanOrEqual(2048);
  });
});

describe('request validator', () => {
  it('keeps map keys such as __proto__ as ordinary keys', () => {
    const input = JSON.parse('{"Map":{"__proto__":"x","a":"b"}}') as Record<string, unknown>;
    const map = stringMapMember(input, 'Map');
    expect(Object.keys(map!)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
  });

  it('quotes long values shortened', () => {
    expect(() => validateRequest('GetCalculationExecutionCode', { CalculationExecutionId: 'x'.repeat(5_000) })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^.{1,500}$/s) }),
    );
  });
});

describe('CallCounter', () => {
  it('counts by name and resets', () => {
    const counter = new CallCounter();
    counter.record('GetSession');
    counter.record('GetSession');
    counter.record('ListSessions');
    expect(counter.counts()).toEqual({ GetSession: 2, ListSessions: 1 });
    expect(counter.count('GetSession')).toBe(2);
    expect(counter.count('StartSession')).toBe(0);
    expect(counter.total()).toBe(3);
    counter.reset();
    expect(counter.total()).toBe(0);
  });
});

describe('SessionStore', () => {
  it('rejects invalid timings and duplicate sessions', () => {
    expect(() => new SessionStore({ timings: { creatingMs: -1 } })).toThrow(RangeError);
    expect(() => new SessionStore({ timings: { defaultIdleTimeoutMinutes: 0 } })).toThrow(RangeError);
    const store = new SessionStore({ clock: new ManualClock() });
    store.addSession({ workGroup: 'wg', sessionId: 'same' });
    expect(() => store.addSession({ workGroup: 'wg', sessionId: 'same' })).toThrow();
  });

  it('creates work groups idempotently and creates them on addSession', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    const created = store.createWorkGroup('wg', { engineVersion: 'custom' });
    expect(store.createWorkGroup('wg', { engineVersion: 'ignored' })).toEqual(created);
    store.addSession({ workGroup: 'implicit' });
    expect(store.workGroupNames().sort()).toEqual(['implicit', 'wg']);
    expect(store.getWorkGroup('missing')).toBeUndefined();
  });

  it('counts sessions by state and by the default active filter', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    store.addSession({ workGroup: 'wg', state: 'IDLE' });
    store.addSession({ workGroup: 'wg', state: 'DEGRADED' });
    store.addSession({ workGroup: 'wg', state: 'TERMINATED' });
    expect(store.countSessions('wg')).toBe(2);
    expect(store.countSessions('wg', 'TERMINATED')).toBe(1);
    expect(store.countSessions('missing')).toBe(0);
  });
});
