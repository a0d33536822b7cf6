// Apollo's inline trace (`extensions.ftv1`), paid for only by the operations that ask for it.
//
// yoga's plugin (`@graphql-yoga/plugin-apollo-inline-trace`) times every field by wrapping every
// resolver of the schema it is given (through `@envelop/on-resolve`), when the schema is set, for
// every request alike: an operation no router asked to trace still runs each of its fields through
// the wrapper, which also keeps graphql-jit from reading plain properties inline, where a router
// asks for traces on a sample of its requests. (How much that costs depends on the selection and
// the machine; docs/performance.md has the side-by-side figures.)
//
// So the plugin is given its own copy of the schema, built on the first request that asks: its
// resolver wrapping (every `onSchemaChange` of the plugins it adds) goes to that copy and never to
// the served schema, and only an operation whose request carries
// `apollo-federation-include-trace: ftv1` executes against the copy. The copy is built by the same
// function as the served schema, so it has the same types and resolvers; the document was
// validated against the served schema, which is the same API. Everything else (when to trace,
// what the trace holds, error rewriting) is the plugin's own.
import { useApolloInlineTrace } from '@graphql-yoga/plugin-apollo-inline-trace';
import { execute, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** The header a router sends on the requests it wants traced, and its one value. */
export const INLINE_TRACE_HEADER = 'apollo-federation-include-trace';
const INLINE_TRACE_FORMAT = 'ftv1';

type SchemaChangeHook = NonNullable<Plugin['onSchemaChange']>;

export interface InlineTraceOptions {
  /** Builds a fresh copy of the served schema (not the cached instance: its resolvers get wrapped). */
  buildSchema: () => GraphQLSchema;
  /** The trace's errors, as the response's are masked. */
  rewriteError: (error: GraphQLError) => GraphQLError;
}

export function useInlineTraceWhenAsked(options: InlineTraceOptions): Plugin {
  const inlineTrace = useApolloInlineTrace({ rewriteError: options.rewriteError }) as Plugin;
  // The schema hooks of the plugin and of everything it adds, held back from the served schema.
  const schemaHooks: SchemaChangeHook[] = [];
  let tracedSchema: GraphQLSchema | undefined;

  const tracedSchemaOnce = (): GraphQLSchema => {
    if (tracedSchema === undefined) {
      const schema = options.buildSchema();
      for (const hook of schemaHooks) hook({ schema, replaceSchema: () => undefined });
      tracedSchema = schema;
    }
    return tracedSchema;
  };

  /** The plugin as envelop sees it: without its schema hooks, and the same for the plugins it adds. */
  const withoutSchemaHooks = (plugin: Plugin): Plugin => {
    const { onSchemaChange, onPluginInit, ...rest } = plugin;
    if (onSchemaChange !== undefined) schemaHooks.push(onSchemaChange);
    if (onPluginInit === undefined) return rest;
    return {
      ...rest,
      onPluginInit: (payload) =>
        onPluginInit({ ...payload, addPlugin: (added) => payload.addPlugin(withoutSchemaHooks(added as Plugin)) }),
    };
  };

  return {
    ...withoutSchemaHooks(inlineTrace),
    onExecute({ args, setExecuteFn }) {
      const request = (args.contextValue as { request?: Request } | undefined)?.request;
      if (request?.headers.get(INLINE_TRACE_HEADER) !== INLINE_TRACE_FORMAT) return;
      const schema = tracedSchemaOnce();
      // graphql-js on the traced copy: the compiled query (graphql-jit) belongs to the served schema.
      setExecuteFn((executionArgs) => execute({ ...executionArgs, schema }));
    },
  };
}
