import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { invalidRequest } from './athena-error.js';
import type { SessionState } from './session-model.js';
import { SESSION_STATES } from './session-model.js';
import type { SessionPosition } from './session-store.js';

/**
 * NextTokens of the list operations. ListSessions: base64url(JSON payload) "." base64url(HMAC-SHA256), keyed per
 * process. The payload is a position (StartDateTime, SessionId of the last item returned), not
 * an offset, so sessions started while a client pages do not shift later pages. The token is
 * bound to the work group and StateFilter it was issued for. ListWorkGroups and
 * ListCalculationExecutions tokens are positions too, each marked with its kind.
 *
 * GUESS: the real token format is undocumented (only "max length 2048"); only its opacity and
 * binding matter to clients.
 */

export interface CalculationTokenScope {
  sessionId: string;
  stateFilter: string | undefined;
}

export interface CalculationPosition {
  submittedAt: number;
  calculationExecutionId: string;
}

export interface NextTokenScope {
  workGroup: string;
  stateFilter: SessionState | undefined;
}

interface TokenPayload {
  v: 1;
  w: string;
  f: SessionState | null;
  t: number;
  i: string;
}

const processTokenKey = randomBytes(32);

export const INVALID_NEXT_TOKEN_MESSAGE = 'The NextToken provided is invalid';
export const MISMATCHED_NEXT_TOKEN_MESSAGE = 'The NextToken was issued for a different WorkGroup or StateFilter';

export class NextTokenCodec {
  private readonly key: Buffer;

  constructor(key: Buffer = processTokenKey) {
    this.key = key;
  }

  encode(scope: NextTokenScope, position: SessionPosition): string {
    const payload: TokenPayload = {
      v: 1,
      w: scope.workGroup,
      f: scope.stateFilter ?? null,
      t: position.startDateTime,
      i: position.sessionId,
    };
    return this.seal({ ...payload });
  }

  /** Throws InvalidRequestException for a malformed, forged or out-of-scope token. */
  decode(token: string, scope: NextTokenScope): SessionPosition {
    const payload = this.verifiedPayload(token);
    if (!payload) throw invalidRequest(INVALID_NEXT_TOKEN_MESSAGE);
    if (payload.w !== scope.workGroup || payload.f !== (scope.stateFilter ?? null)) {
      throw invalidRequest(MISMATCHED_NEXT_TOKEN_MESSAGE);
    }
    return { startDateTime: payload.t, sessionId: payload.i };
  }

  /** ListWorkGroups: the position is the name of the last work group returned. */
  encodeWorkGroupPosition(name: string): string {
    return this.seal({ v: 1, k: 'work-groups', n: name });
  }

  decodeWorkGroupPosition(token: string): string {
    const payload = this.verifiedJson(token);
    if (!isRecord(payload) || payload.k !== 'work-groups' || typeof payload.n !== 'string') {
      throw invalidRequest(INVALID_NEXT_TOKEN_MESSAGE);
    }
    return payload.n;
  }

  /** ListCalculationExecutions: a (submission time, id) position bound to the session and filter. */
  encodeCalculationPosition(scope: CalculationTokenScope, position: CalculationPosition): string {
    return this.seal({
      v: 1,
      k: 'calculations',
      s: scope.sessionId,
      f: scope.stateFilter ?? null,
      t: position.submittedAt,
      i: position.calculationExecutionId,
    });
  }

  decodeCalculationPosition(token: string, scope: CalculationTokenScope): CalculationPosition {
    const payload = this.verifiedJson(token);
    if (
      !isRecord(payload) ||
      payload.k !== 'calculations' ||
      typeof payload.t !== 'number' ||
      typeof payload.i !== 'string'
    ) {
      throw invalidRequest(INVALID_NEXT_TOKEN_MESSAGE);
    }
    if (payload.s !== scope.sessionId || payload.f !== (scope.stateFilter ?? null)) {
      throw invalidRequest('The NextToken was issued for a different SessionId or StateFilter');
    }
    return { submittedAt: payload.t, calculationExecutionId: payload.i };
  }

  private seal(payload: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.sign(body).toString('base64url')}`;
  }

  private verifiedJson(token: string): unknown {
    const parts = token.split('.');
    if (parts.length !== 2) return undefined;
    const [body, signature] = parts as [string, string];
    const expected = this.sign(body);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }

  private verifiedPayload(token: string): TokenPayload | undefined {
    const parsed = this.verifiedJson(token);
    return isTokenPayload(parsed) ? parsed : undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTokenPayload(value: unknown): value is TokenPayload {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate.v === 1 &&
    typeof candidate.w === 'string' &&
    (candidate.f === null ||
      (typeof candidate.f === 'string' && (SESSION_STATES as readonly string[]).includes(candidate.f))) &&
    typeof candidate.t === 'number' &&
    Number.isFinite(candidate.t) &&
    typeof candidate.i === 'string'
  );
}
