// Malformed requests are the caller's mistake and must read as such: yoga lets a JSON syntax
// error in GET's `variables` or `extensions` escape as an unexpected error (masked, HTTP 200
// "Unexpected error."), and answers an unsupported Content-Type with an empty 415. Both become
// JSON errors with a code. yoga also copies the JSON parser's message, with an excerpt of the
// body, into `extensions.originalError`; that is dropped: the message says enough.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../errors.js';

const SUPPORTED = 'application/json (or application/graphql) for POST; GET with query parameters';

/**
 * yoga marks a JSON syntax error `spec: true`, which answers 200 to `Accept: application/json`
 * clients; a body we cannot read is a 400 whatever the client accepts.
 */
function withoutOriginalError(error: GraphQLError): GraphQLError {
  const {
    originalError: _dropped,
    http,
    ...extensions
  } = error.extensions as Record<string, unknown> & { http?: { status?: number } };
  return new GraphQLError(error.message, {
    extensions: http?.status === undefined ? extensions : { ...extensions, http: { status: http.status } },
  });
}

export function useRequestParsingErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (requestParser === undefined) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof GraphQLError) throw withoutOriginalError(error);
          throw new GraphQLError('The request could not be read: `variables` and `extensions` must be JSON objects.', {
            extensions: { code: ERROR_CODES.BAD_REQUEST, http: { status: 400 } },
          });
        }
      });
    },
    onResponse({ response, setResponse, fetchAPI }) {
      if (response.status !== 415 || response.body !== null) return;
      setResponse(
        fetchAPI.Response.json(
          {
            errors: [
              {
                message: `Unsupported Content-Type: send ${SUPPORTED}.`,
                extensions: { code: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE },
              },
            ],
          },
          { status: 415, headers: response.headers },
        ),
      );
    },
  };
}
