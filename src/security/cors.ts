// CORS from the allow-list in CORS_ORIGINS. yoga's default echoes every Origin back with
// credentials allowed; here an origin gets CORS headers only when it is on the list, and never
// with credentials: the gateway authenticates with bearer tokens, not cookies.
import type { Plugin, YogaServerOptions } from 'graphql-yoga';

type CorsOption = NonNullable<YogaServerOptions<Record<string, unknown>, Record<string, unknown>>['cors']>;

/**
 * `*` allows every origin (the origin is echoed, still without credentials); anything else is an
 * exact origin such as `https://app.example.com`.
 */
export function corsPolicy(configuredOrigins: readonly string[]): CorsOption {
  const anyOrigin = configuredOrigins.includes('*');
  const allowed = new Set(configuredOrigins.filter((origin) => origin !== '*').map(normalizeOrigin));
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null || (!anyOrigin && !allowed.has(origin))) return false;
    return {
      origin: anyOrigin ? '*' : origin,
      methods: ['GET', 'POST'],
      credentials: false,
      maxAge: 600,
    };
  };
}

/** Responses differ by Origin, so shared caches must key on it. */
export function useVaryOnOrigin(): Plugin {
  return {
    onResponse({ response }) {
      const vary = response.headers.get('vary');
      if (vary === null) response.headers.set('vary', 'Origin');
      else if (!/\borigin\b/i.test(vary)) response.headers.set('vary', `${vary}, Origin`);
    },
  };
}

/** `https://App.example.com/` and `https://app.example.com` are one origin; an Origin header never has a path. */
function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}
