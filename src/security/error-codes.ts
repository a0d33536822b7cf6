// The contract promises a code on every error. yoga and graphql-js leave a few without one
// (variable coercion, operation selection); they are the caller's mistakes, so they get the
// caller-side codes here, after everything else has run.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../errors.js';

function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  const code =
    error.path !== undefined
      ? ERROR_CODES.INTERNAL_SERVER_ERROR
      : error.message.startsWith('Variable "$')
        ? ERROR_CODES.BAD_USER_INPUT
        : ERROR_CODES.BAD_REQUEST;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

export function useErrorCodes(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (result === undefined || Symbol.asyncIterator in result || result.errors === undefined) return;
      setResult({
        ...result,
        errors: result.errors.map((error) => (error instanceof GraphQLError ? withCode(error) : error)),
      });
    },
  };
}
