import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './session-status.js';
import './session.js';
import './session-connection.js';
import './work-group.js';
import './node.js';
import './session-subscription.js';

builder.queryType({ description: 'Read Athena Spark sessions and work groups.' });
builder.mutationType({ description: 'Start and terminate Athena Spark sessions.' });

let schema: GraphQLSchema | undefined;

/** The schema is built once per process: building it is not free and it never changes. */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}
