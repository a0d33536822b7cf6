// The errors clients see. Each has a stable `extensions.code`; messages never carry upstream internals.
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'UPSTREAM_ERROR' | 'TOO_MANY_SUBSCRIPTIONS';

abstract class GatewayError extends GraphQLError {
  abstract readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}, options: GraphQLErrorOptions = {}) {
    super(message, { ...options, extensions: { ...extensions, code } });
  }
}

export class BadUserInputError extends GatewayError {
  readonly code = 'BAD_USER_INPUT';
  constructor(message: string, argumentName?: string) {
    super(message, 'BAD_USER_INPUT', argumentName === undefined ? {} : { argumentName });
  }
}

export class NotFoundError extends GatewayError {
  readonly code = 'NOT_FOUND';
  constructor(message: string) {
    super(message, 'NOT_FOUND');
  }
}

export class UnauthenticatedError extends GatewayError {
  readonly code = 'UNAUTHENTICATED';
  /** `challenge` is the WWW-Authenticate value (RFC 6750), e.g. with `error="invalid_token"`. */
  constructor(message = 'Authentication required: send a valid bearer token.', challenge = 'Bearer') {
    super(message, 'UNAUTHENTICATED', { http: { status: 401, headers: { 'WWW-Authenticate': challenge } } });
  }
}

export class ForbiddenError extends GatewayError {
  readonly code = 'FORBIDDEN';
  constructor(message: string) {
    super(message, 'FORBIDDEN');
  }
}

export class UpstreamError extends GatewayError {
  readonly code = 'UPSTREAM_ERROR';
  constructor(message = 'Athena did not answer in time or failed after retries. Try again shortly.', extensions: Record<string, unknown> = {}) {
    super(message, 'UPSTREAM_ERROR', extensions);
  }
}

/** More subscriptions open at once than a caller or a socket may hold (security/limits.ts). */
export class TooManySubscriptionsError extends GatewayError {
  readonly code = 'TOO_MANY_SUBSCRIPTIONS';
  constructor(message: string) {
    super(message, 'TOO_MANY_SUBSCRIPTIONS');
  }
}
