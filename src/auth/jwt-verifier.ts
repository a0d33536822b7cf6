// Verifies bearer JWTs with jose: HS256 with AUTH_JWT_SECRET, or RS256/ES256 with keys from
// AUTH_JWKS_URL. The algorithms are pinned per key source, so a token cannot pick its own (no
// `alg: none`, no HS256 signed with a public key), and `exp` is required.

import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose';
import type { AuthSettings } from '../config.js';
import { ERROR_CODES } from '../errors.js';
import { invalidTokenError } from './bearer-token.js';

/**
 * Allowed clock skew between the token issuer and this process, applied to `exp` and `nbf`.
 * Thirty seconds absorbs ordinary NTP drift between hosts while keeping an expired token's
 * afterlife short next to token lifetimes of minutes to hours.
 */
export const CLOCK_TOLERANCE_SECONDS = 30;
export const SECRET_ALGORITHMS = ['HS256'] as const;
export const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;

/** How long one JWKS download may take, and how long to wait before refetching for an unknown `kid`. */
const JWKS_TIMEOUT_MS = 5_000;
const JWKS_COOLDOWN_MS = 30_000;
/** Keys are refetched at least this often, so a rotated-out key stops working. */
const JWKS_MAX_AGE_MS = 10 * 60_000;

/** The key source could not be reached or answered nonsense: not the caller's fault, so not a 401. */
export class AuthUnavailableError extends GraphQLError {
  constructor() {
    super('Authentication is temporarily unavailable: the signing keys could not be fetched. Try again shortly.', {
      extensions: { code: ERROR_CODES.AUTH_UNAVAILABLE, http: { status: 503, headers: { 'Retry-After': '5' } } },
    });
  }
}

export type VerifyToken = (token: string) => Promise<JWTPayload>;

export interface JwtVerifierOptions {
  /** The verifier's clock; tests pin it. */
  now?: (() => Date) | undefined;
  /** Told why the key source failed (the caller only learns that it did). */
  onKeySourceError?: ((error: unknown) => void) | undefined;
}

export function createJwtVerifier(settings: AuthSettings, options: JwtVerifierOptions = {}): VerifyToken {
  const base = (algorithms: readonly string[]): JWTVerifyOptions => ({
    algorithms: [...algorithms],
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp'],
  });
  const at = (verifyOptions: JWTVerifyOptions): JWTVerifyOptions =>
    options.now === undefined ? verifyOptions : { ...verifyOptions, currentDate: options.now() };

  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (settings.jwtSecret !== undefined) {
    // The contract fixes the key as the secret string's UTF-8 bytes.
    const secret = new TextEncoder().encode(settings.jwtSecret);
    const verifyOptions = base(SECRET_ALGORITHMS);
    verify = (token) => jwtVerify(token, secret, at(verifyOptions));
  } else if (settings.jwksUrl !== undefined) {
    const keys = createRemoteJWKSet(new URL(settings.jwksUrl), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
    });
    const verifyOptions = base(JWKS_ALGORITHMS);
    verify = (token) => jwtVerify(token, keys, at(verifyOptions));
  } else {
    throw new Error('Auth is enabled but neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set.');
  }

  const remote = settings.jwtSecret === undefined;
  return async (token) => {
    try {
      return (await verify(token)).payload;
    } catch (error) {
      if (remote && isKeySourceFailure(error)) {
        options.onKeySourceError?.(error);
        throw new AuthUnavailableError();
      }
      throw toClientError(error);
    }
  };
}

/**
 * The JWKS endpoint timed out, could not be reached, answered other than 200, or served
 * something that is not a key set. jose reports the last two with its generic error class.
 */
function isKeySourceFailure(error: unknown): boolean {
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    error.code === errors.JOSEError.code
  );
}

/** Says what is wrong with the token in RFC 6750 terms, without echoing the token or any key detail. */
function toClientError(error: unknown): GraphQLError {
  if (error instanceof errors.JWTExpired) return invalidTokenError('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'exp':
        return invalidTokenError('the token has no expiry (exp)');
      case 'iss':
        return invalidTokenError('the token issuer is not accepted');
      case 'aud':
        return invalidTokenError('the token audience is not accepted');
      case 'nbf':
        return invalidTokenError('the token is not valid yet');
      default:
        return invalidTokenError('the token claims are invalid');
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidTokenError('the token algorithm is not accepted');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return invalidTokenError('the token signature is invalid');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalidTokenError('no signing key matches the token');
  }
  return invalidTokenError('the token is malformed');
}
