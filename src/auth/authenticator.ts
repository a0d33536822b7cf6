// Who is calling, from the request's bearer JWT. Built once per gateway from `config.auth`;
// undefined when auth is off, in which case the gateway grants full access.
import type { AuthSettings } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { bearerToken } from './bearer-token.js';
import { viewerFromClaims } from './claims.js';
import { createJwtVerifier } from './jwt-verifier.js';
import type { Viewer } from './viewer.js';

/** RFC 7518 section 3.2: an HS256 key must have at least 256 bits. */
const MIN_SECRET_BYTES = 32;

export interface Authenticator {
  /** The viewer of an HTTP request; throws UNAUTHENTICATED (401) or AUTH_UNAVAILABLE (503). */
  viewerFor(request: Request): Promise<Viewer>;
  /** The same for transports without a Request (a WebSocket's connection params carry the header value). */
  viewerForAuthorization(authorization: string | null | undefined): Promise<Viewer>;
}

export interface AuthenticatorOptions {
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
}

export function createAuthenticator(
  settings: AuthSettings,
  options: AuthenticatorOptions = {},
): Authenticator | undefined {
  if (settings.disabled) return undefined;
  const { logger } = options;
  if (settings.jwtSecret !== undefined && Buffer.byteLength(settings.jwtSecret, 'utf8') < MIN_SECRET_BYTES) {
    logger?.warn(
      `AUTH_JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: HS256 tokens signed with it can be brute-forced. Use a longer random secret.`,
    );
  }
  const verify = createJwtVerifier(settings, {
    now: options.now,
    onKeySourceError: (error) =>
      logger?.warn(
        { err: error instanceof Error ? { name: error.name, message: error.message } : String(error) },
        'JWKS could not be fetched; answering 503',
      ),
  });
  const viewerForAuthorization = async (authorization: string | null | undefined) =>
    viewerFromClaims(await verify(bearerToken(authorization)));
  return {
    viewerForAuthorization,
    viewerFor: (request) => viewerForAuthorization(request.headers.get('authorization')),
  };
}
