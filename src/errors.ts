// The errors clients see. Each has a stable `extensions.code`; messages never carry upstream internals.
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/**
 * Every `extensions.code` the gateway emits, each declared once (CONTRACT.md lists the public ones).
 * GRAPHQL_VALIDATION_FAILED and GRAPHQL_PARSE_FAILED are yoga's own and are not repeated here.
 */
export const ERROR_CODES = {
  /** An argument breaks the API's constraints; rejected before any upstream call. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A mutation or subscription names a session (or work group) that does not exist for this caller. */
  NOT_FOUND: 'NOT_FOUND',
  /** Auth is on and the bearer token is missing, expired or invalid (HTTP 401). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The token lacks the scope for the operation. */
  FORBIDDEN: 'FORBIDDEN',
  /** Athena failed or timed out after retries. */
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  /** Anything unexpected, masked: no stack or internal detail reaches the client. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** The HTTP request itself is malformed (a bad Content-Length, variables that are not an object). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** A Content-Type the gateway does not read (HTTP 415). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** A body over MAX_REQUEST_BODY_BYTES (HTTP 413). */
  REQUEST_ENTITY_TOO_LARGE: 'REQUEST_ENTITY_TOO_LARGE',
  /** A POST a cross-site form could have sent (HTTP 403). */
  CSRF_PREVENTED: 'CSRF_PREVENTED',
  /** The JWKS could not be fetched: not the caller's fault, so 503 and not 401. */
  AUTH_UNAVAILABLE: 'AUTH_UNAVAILABLE',
  /** A caller over MAX_SUBSCRIPTIONS_PER_SUBJECT, or a socket over MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** The operation-size limits of security/limits.ts (HTTP 400). */
  MAX_TOKENS_EXCEEDED: 'MAX_TOKENS_EXCEEDED',
  MAX_DEPTH_EXCEEDED: 'MAX_DEPTH_EXCEEDED',
  MAX_ALIASES_EXCEEDED: 'MAX_ALIASES_EXCEEDED',
  MAX_DIRECTIVES_EXCEEDED: 'MAX_DIRECTIVES_EXCEEDED',
  COST_LIMIT_EXCEEDED: 'COST_LIMIT_EXCEEDED',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The codes our own error classes below carry. */
type GatewayErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'UPSTREAM_ERROR';

abstract class GatewayError extends GraphQLError {
  abstract readonly code: GatewayErrorCode;
  constructor(
    message: string,
    code: GatewayErrorCode,
    extensions: Record<string, unknown> = {},
    options: GraphQLErrorOptions = {},
  ) {
    super(message, { ...options, extensions: { ...extensions, code } });
  }
}

export class BadUserInputError extends GatewayError {
  readonly code = ERROR_CODES.BAD_USER_INPUT;
  constructor(message: string, argumentName?: string) {
    super(message, ERROR_CODES.BAD_USER_INPUT, argumentName === undefined ? {} : { argumentName });
  }
}

export class NotFoundError extends GatewayError {
  readonly code = ERROR_CODES.NOT_FOUND;
  constructor(message: string) {
    super(message, ERROR_CODES.NOT_FOUND);
  }
}

export class UnauthenticatedError extends GatewayError {
  readonly code = ERROR_CODES.UNAUTHENTICATED;
  /** `challenge` is the WWW-Authenticate value (RFC 6750), e.g. with `error="invalid_token"`. */
  constructor(message = 'Authentication required: send a valid bearer token.', challenge = 'Bearer') {
    super(message, ERROR_CODES.UNAUTHENTICATED, { http: { status: 401, headers: { 'WWW-Authenticate': challenge } } });
  }
}

export class ForbiddenError extends GatewayError {
  readonly code = ERROR_CODES.FORBIDDEN;
  constructor(message: string) {
    super(message, ERROR_CODES.FORBIDDEN);
  }
}

export class UpstreamError extends GatewayError {
  readonly code = ERROR_CODES.UPSTREAM_ERROR;
  constructor(
    message = 'Athena did not answer in time or failed after retries. Try again shortly.',
    extensions: Record<string, unknown> = {},
  ) {
    super(message, ERROR_CODES.UPSTREAM_ERROR, extensions);
  }
}
