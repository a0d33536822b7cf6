// CSRF prevention: a browser sends a cross-site form or "simple" request without asking the
// server first (no CORS preflight), so such a request must not run an operation. Requests whose
// Content-Type a form cannot produce (application/json, application/graphql-response+json...)
// pass, as do requests with a custom header; POSTs with a form-like or missing Content-Type are
// refused. Only POST is checked: GET cannot run mutations (yoga answers 405), GET queries stay
// open on purpose for caching and plain links (docs/security.md explains why), and yoga runs no
// operation for any other method.
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../errors.js';

/** Any of these makes a request non-simple, so a browser preflights it. The Apollo names are what Apollo clients send. */
export const CSRF_HEADERS = [
  'x-graphql-csrf',
  'x-graphql-yoga-csrf',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];

export function useCsrfPrevention(): Plugin {
  const library = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      if (payload.request.method.toUpperCase() !== 'POST') return;
      try {
        return library.onRequestParse?.(payload);
      } catch {
        throw new GraphQLError(
          'This request could have come from a cross-site form. Send `Content-Type: application/json` (or add an `x-graphql-csrf: 1` header).',
          { extensions: { code: ERROR_CODES.CSRF_PREVENTED, http: { status: 403 } } },
        );
      }
    },
  };
}
