import { describe, expect, it } from 'vitest';

import { IdempotencyTokens, stableStringify } from '../../src/local-athena/idempotency.js';

describe('IdempotencyTokens', () => {
  it('answers nothing for a new token or none, the first id for a retry, and refuses other parameters', () => {
    const tokens = new IdempotencyTokens('StartSession');
    const token = 'a'.repeat(32);
    expect(tokens.previous(undefined, '{}')).toBeUndefined();
    expect(tokens.previous(token, '{"a":1}')).toBeUndefined();
    tokens.remember(token, '{"a":1}', 'session-1');
    tokens.remember(undefined, '{"a":1}', 'session-2');
    expect(tokens.previous(token, '{"a":1}')).toBe('session-1');
    expect(() => tokens.previous(token, '{"a":2}')).toThrow(
      `ClientRequestToken ${token} was already used for a StartSession request with different parameters`,
    );
  });
});

describe('stableStringify', () => {
  it('is the same for the same members in another order, and leaves undefined members out', () => {
    expect(stableStringify({ b: [1, { d: 2, c: 3 }], a: 'x', z: undefined })).toBe(
      stableStringify({ a: 'x', b: [1, { c: 3, d: 2 }] }),
    );
    expect(stableStringify({ a: 1 })).not.toBe(stableStringify({ a: 2 }));
    expect(stableStringify(undefined)).toBe('null');
  });
});
