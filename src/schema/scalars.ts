import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, SafeIntResolver } from 'graphql-scalars';
import { builder } from './builder.js';

// graphql-scalars serializes a Date object and leaves the string to the JSON encoder; the contract
// promises an ISO-8601 UTC string with milliseconds on every transport, so make it one here.
const DateTime = new GraphQLScalarType<Date, string>({
  ...DateTimeResolver.toConfig(),
  description: 'An instant as an ISO-8601 UTC string with milliseconds, for example `2024-05-01T12:30:00.000Z`.',
  serialize: (value) => (DateTimeResolver.serialize(value) as Date).toISOString(),
});

builder.addScalarType('DateTime', DateTime);
// The federation SDL printer reads directives from AST nodes, which the directives plugin writes
// from `extensions.directives` alone: named there, SafeInt keeps its @specifiedBy in subgraph.graphql.
builder.addScalarType('SafeInt', SafeIntResolver, {
  extensions: { directives: [{ name: 'specifiedBy', args: { url: SafeIntResolver.specifiedByURL } }] },
});
