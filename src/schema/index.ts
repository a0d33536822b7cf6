import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './session-status.js';
import './session.js';
import './terminate-session.js';
import './start-session.js';
import './session-connection.js';
import './work-group.js';
import './calculation-status.js';
import './calculation.js';
import './all-sessions.js';
import './node.js';
import './session-subscription.js';
import './calculation-connection.js';
import './calculation-mutations.js';
import './calculation-subscription.js';
import './session-endpoint.js';
// After the type modules it makes entities of.
import { buildSubgraphSchema, readServiceSdl } from './federation.js';

builder.queryType({ description: 'Read Athena Spark sessions and work groups.' });
builder.mutationType({
  description: 'Start and terminate Athena Spark sessions, and start and stop calculations in them.',
});

let schema: GraphQLSchema | undefined;
let clientSchema: GraphQLSchema | undefined;

/**
 * The served schema: the client API plus the federation entry points (`_service`, `_entities`),
 * so the gateway is also a federation subgraph. Built once per process: building it is not free and
 * it never changes.
 */
export function getSchema(): GraphQLSchema {
  schema ??= buildServedSchema();
  return schema;
}

/** A new instance of the served schema, for a plugin that wraps resolvers in place (the inline trace's copy). */
export function buildServedSchema(): GraphQLSchema {
  return buildSubgraphSchema();
}

/**
 * The API as clients see it, without federation's additions: what `schema.graphql` holds for
 * relay-compiler and code generators. The plain build of the same builder: no `_service`,
 * `_entities` or `@link`, and the `@key`s live only in AST nodes, which `printSchema` does not print.
 * Sorted, so the file does not depend on the order in which modules happened to register their types.
 */
export function getClientSchema(): GraphQLSchema {
  clientSchema ??= builder.toSchema({ sortSchema: true });
  return clientSchema;
}

/** The subgraph SDL exactly as `_service { sdl }` serves it: what `subgraph.graphql` holds. */
export function getSubgraphSdl(): string {
  return readServiceSdl(getSchema());
}
