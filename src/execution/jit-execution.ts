// Query execution compiled with graphql-jit, for the documents that come back. Execution is most
// of the gateway's CPU once upstream answers are cached, and graphql-jit halves it (measured in
// docs/performance.md). Compiling costs far more than executing once, so a document is compiled
// on its second execution: an application's queries run compiled from their second request,
// while a stream of one-off documents (GraphiQL typing, a scanner) never pays for compilation.
// Mutations and subscriptions keep graphql-js: they are rare, or long-lived and cheap per event.
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  getVariableValues,
  type Source,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** null: graphql-jit could not compile it, so graphql-js runs it. */
type Compiled = CompiledQuery | null;

export function useJitForRepeatedQueries<Context extends Record<string, unknown>>(): Plugin<Context> {
  // Keyed by the parsed document, which yoga's parse cache hands out again for the same text, and
  // held weakly, so nothing outlives the parse cache's own bound.
  const seen = new WeakSet<DocumentNode>();
  const compiled = new WeakMap<DocumentNode, Map<string, Compiled>>();

  const compiledFor = (args: ExecutionArgs): CompiledQuery | undefined => {
    if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return undefined;
    if (!seen.has(args.document)) {
      seen.add(args.document);
      return undefined;
    }
    let byOperation = compiled.get(args.document);
    if (byOperation === undefined) {
      byOperation = new Map();
      compiled.set(args.document, byOperation);
    }
    const operationKey = args.operationName ?? '';
    let entry = byOperation.get(operationKey);
    if (entry === undefined) {
      const result = compileQuery(args.schema, args.document, args.operationName ?? undefined, {
        disablingCapturingStackErrors: true,
      });
      entry = isCompiledQuery(result) ? result : null;
      byOperation.set(operationKey, entry);
    }
    return entry ?? undefined;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledFor(args);
      if (query === undefined) return;
      setExecuteFn((executionArgs) => {
        const variables = withDefaults(executionArgs);
        // The executor of the first run: the same answer, status and words as then.
        if (variables === INVALID) return executeFn(executionArgs);
        const result = query.query(executionArgs.rootValue, executionArgs.contextValue, variables);
        return isPromiseLike(result)
          ? result.then((settled) => locateErrors(settled, executionArgs.document))
          : locateErrors(result, executionArgs.document);
      });
    },
  };
}

/**
 * Variables are checked by graphql-js first, whenever the operation declares any: graphql-jit
 * words coercion errors differently and answers them with HTTP 200 where yoga's executor answers
 * 400, so a query's bad variables would answer differently on its first run and once compiled.
 * INVALID means "let the executor of the first run answer". graphql-jit also rejects an omitted non-null variable even when the operation gives
 * it a default (`$workGroup: String! = "primary"`), which graphql-js and the spec accept: such
 * operations get graphql-js's coerced values.
 */
const INVALID = Symbol('invalid variables');

function withDefaults(args: ExecutionArgs): ExecutionArgs['variableValues'] | typeof INVALID {
  const definitions = getOperationAST(args.document, args.operationName)?.variableDefinitions ?? [];
  if (definitions.length === 0) return args.variableValues;
  const coerced = getVariableValues(args.schema, definitions, args.variableValues ?? {});
  if (coerced.errors !== undefined) return INVALID;
  return definitions.some((definition) => definition.defaultValue !== undefined)
    ? coerced.coerced
    : args.variableValues;
}

const isPromiseLike = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown }).then === 'function';

/**
 * graphql-jit's errors carry `locations` but not the source positions that graphql-js errors
 * carry, and yoga rebuilds every error from those positions on its way out: without this, an
 * error would lose its locations when its query runs compiled.
 */
function locateErrors(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  const source = document.loc?.source;
  if (result.errors === undefined) return result;
  const errors = result.errors.map((error) => {
    if (
      source === undefined ||
      error.nodes !== undefined ||
      error.positions !== undefined ||
      error.locations === undefined
    )
      return error;
    return new GraphQLError(error.message, {
      source,
      positions: error.locations.map((location) => offsetOf(source, location.line, location.column)),
      path: error.path,
      originalError: error.originalError ?? undefined,
      extensions: error.extensions,
    });
  });
  // Errors first, as graphql-js (and the spec's advice) has them: the same bytes either way.
  const { errors: _errors, data, ...rest } = result;
  return { errors, data, ...rest };
}

/** The character offset of a 1-based line and column, the inverse of graphql's getLocation. */
function offsetOf(source: Source, line: number, column: number): number {
  const lineBreak = /\r\n|[\n\r]/g;
  let lineStart = 0;
  for (let current = 1; current < line; current += 1) {
    const match = lineBreak.exec(source.body);
    if (match === null) break;
    lineStart = match.index + match[0].length;
  }
  return lineStart + column - 1;
}
