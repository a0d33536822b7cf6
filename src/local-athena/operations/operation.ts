import type { NextTokenCodec } from '../next-token.js';
import type { SessionStore } from '../session-store.js';

export interface OperationContext {
  store: SessionStore;
  nextTokens: NextTokenCodec;
}

/**
 * One Athena operation: validates every member of the request (throwing one
 * InvalidRequestException listing all problems) before it touches any state, then acts.
 */
export interface AthenaOperation {
  handle(input: Record<string, unknown>, context: OperationContext): Record<string, unknown>;
}
