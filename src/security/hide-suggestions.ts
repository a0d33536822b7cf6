// With introspection off, "Did you mean ...?" hints would hand out the schema one name at a
// time, so they are cut from every message: field, argument, type and input-field hints from
// validation, and enum-value hints from validation and from variable coercion at execution.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** graphql-js appends every hint as " Did you mean ...?"; the names it lists cannot contain "?". */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function withoutSuggestions(error: GraphQLError): GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

export function useHideSuggestions(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      // Streams (subscriptions) carry resolver errors only; their hints-bearing errors come before the stream.
      if (result === undefined || Symbol.asyncIterator in result || result.errors === undefined) return;
      setResult({
        ...result,
        errors: result.errors.map((error) => (error instanceof GraphQLError ? withoutSuggestions(error) : error)),
      });
    },
  };
}
