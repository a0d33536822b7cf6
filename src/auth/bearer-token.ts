// Reads the bearer token of RFC 6750 from an Authorization header. Only the header is accepted:
// tokens in query strings or bodies end up in logs and browser history.
import { UnauthenticatedError } from '../errors.js';

/** Far above any real JWT, far below what would make the verifier work hard. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/** RFC 6750 b64token: what a bearer credential may contain. */
const B64_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER = /^Bearer +(\S+)\s*$/i;

/** The challenge for a request that sent no credentials (RFC 6750 section 3.1: no error code). */
export const MISSING_TOKEN_CHALLENGE = 'Bearer realm="athena-sessions-gateway"';

export function invalidTokenError(description: string): UnauthenticatedError {
  return new UnauthenticatedError(
    `Authentication failed: ${description}`,
    `Bearer realm="athena-sessions-gateway", error="invalid_token", error_description="${description}"`,
  );
}

/** The token of `Authorization: Bearer <token>`; UNAUTHENTICATED when it is missing or not a bearer token. */
export function bearerToken(authorization: string | null | undefined): string {
  if (authorization === null || authorization === undefined || authorization.trim() === '') {
    throw new UnauthenticatedError(
      'Authentication required: send `Authorization: Bearer <JWT>`.',
      MISSING_TOKEN_CHALLENGE,
    );
  }
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) {
    throw new UnauthenticatedError(
      'Authentication required: the Authorization header must use the Bearer scheme.',
      MISSING_TOKEN_CHALLENGE,
    );
  }
  if (token.length > MAX_TOKEN_LENGTH || !B64_TOKEN.test(token)) {
    throw invalidTokenError('the bearer token is malformed');
  }
  return token;
}
