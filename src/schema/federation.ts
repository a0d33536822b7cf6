// The code-first schema as an Apollo Federation v2 subgraph (@pothos/plugin-federation): the API
// clients see, plus `_service` and `_entities`, with `Session` keyed by `sessionId`, `WorkGroup`
// keyed by `name` and `Calculation` keyed by `calculationId`.
//
// Entity references go through the same entry points as `session`, `workGroup`, `node` and `nodes`:
// the per-request loaders (so references to one session cost one call, whatever their number),
// the cheapest call for the selection, the same argument rules and the same visibility rules.
import { executeSync, type GraphQLFieldResolver, type GraphQLSchema, isUnionType, parse } from 'graphql';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { MAX_REPRESENTATIONS } from '../security/limits.js';
import { builder } from './builder.js';
import { requireScope } from './scope.js';
import { SessionObject } from './session.js';
// The session mutations load right after the Session type whichever module is imported first, so the
// printed schema's type order (schema.graphql) is the same from every entry point.
import './terminate-session.js';
import './start-session.js';
// After work-group.js, as in node.ts: the same registration order whichever module loads first.
import { CalculationObject, calculationSelection, loadCalculationRef } from './calculation.js';
import { loadSessionRef, selectsSessionDetails } from './session-ref.js';
import { validateCalculationId, validateSessionId, validateWorkGroup } from './validation.js';
import { loadWorkGroupRef, WorkGroupObject } from './work-group.js';

/**
 * Federation 2.3 has everything this subgraph uses (`@key`, `@shareable`) and every federation
 * router in use reads it; composition lifts the supergraph to the newest version among subgraphs.
 */
export const FEDERATION_SPEC_URL = 'https://specs.apollo.dev/federation/v2.3';

/**
 * The key of a representation, checked as the same argument of `session` or `workGroup` is. Its
 * type says string, but a representation is whatever JSON the caller wrote.
 */
function keyOf(representation: object, field: string, validate: (key: string, argumentName: string) => string): string {
  const argumentName = `representations.${field}`;
  const key: unknown = (representation as Record<string, unknown>)[field];
  if (typeof key !== 'string') throw new BadUserInputError(`${argumentName} must be a string.`, argumentName);
  return validate(key, argumentName);
}

// resolveReference runs once per representation, and its error or null lands at that index of
// `_entities` (the error's path says which): one bad or missing reference does not cost the router
// the rest of its batch. The key is checked before the reference's upstream call; async, so that a
// bad key rejects this reference only instead of throwing out of the whole list.

builder.asEntity(SessionObject, {
  key: builder.selection<{ sessionId: string }>('sessionId'),
  resolveReference: async (representation, context, info) =>
    loadSessionRef(context, keyOf(representation, 'sessionId', validateSessionId), selectsSessionDetails(info)),
});

builder.asEntity(CalculationObject, {
  key: builder.selection<{ calculationId: string }>('calculationId'),
  resolveReference: async (representation, context, info) =>
    loadCalculationRef(
      context,
      keyOf(representation, 'calculationId', validateCalculationId),
      calculationSelection(info),
    ),
});

builder.asEntity(WorkGroupObject, {
  key: builder.selection<{ name: string }>('name'),
  // loadWorkGroupRef checks the arguments of a selected `sessions` connection before its call too.
  resolveReference: async (representation, context, info) =>
    loadWorkGroupRef(context, keyOf(representation, 'name', validateWorkGroup), info),
});

/**
 * @apollo/subgraph, which answers `_entities`, assumes a router wrote the representations: a
 * `__typename` that is not one of our entities fails as an internal error, and one that names some
 * other object type (PageInfo) is returned as it came. A caller who writes `_entities` by hand gets
 * BAD_USER_INPUT instead, for the whole list and before any upstream call.
 */
function checkRepresentation(representation: unknown, index: number, entityTypes: ReadonlySet<string>): void {
  const at = `representations[${index}]`;
  if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
    throw new BadUserInputError(`${at} must be an object with __typename and the entity's key.`, at);
  }
  const typename: unknown = Object.hasOwn(representation, '__typename')
    ? (representation as { __typename: unknown }).__typename
    : undefined;
  if (typeof typename !== 'string' || !entityTypes.has(typename)) {
    throw new BadUserInputError(`${at}.__typename must be one of ${[...entityTypes].join(', ')}.`, `${at}.__typename`);
  }
}

/**
 * The served schema: the client API as a Federation v2 subgraph. The plugin adds `_service` (its
 * SDL printed once, here) and `_entities`; the read scope and the representation checks go in front
 * of `_entities`, once per list, as `nodes` checks them once per list of ids.
 */
export function buildSubgraphSchema(): GraphQLSchema {
  const schema = builder.toSubGraphSchema({
    linkUrl: FEDERATION_SPEC_URL,
    federationDirectives: ['@key', '@shareable'],
  });
  const entityUnion = schema.getType('_Entity');
  const entities = schema.getQueryType()?.getFields()._entities;
  if (!isUnionType(entityUnion) || entities?.resolve === undefined)
    throw new Error('The subgraph schema has no entities.');
  const entityTypes = new Set(entityUnion.getTypes().map((type) => type.name));
  const resolveEntities = entities.resolve as GraphQLFieldResolver<
    unknown,
    GatewayContext,
    { representations: readonly unknown[] }
  >;

  // The schema was built just now and nothing holds it yet: wrapping the resolver in place is the
  // whole change, where rebuilding the schema around a new Query type would copy every type.
  entities.description =
    'Entities by their keys, for a federation router; null for each one that does not exist (or is not yours to see).';
  entities.resolve = (root, args: { representations: readonly unknown[] }, context: GatewayContext, info) => {
    // One FORBIDDEN for the field, like every other entry point, not one per reference.
    requireScope(context, 'sessions:read');
    if (args.representations.length > MAX_REPRESENTATIONS) {
      throw new BadUserInputError(
        `At most ${MAX_REPRESENTATIONS} representations per _entities call.`,
        'representations',
      );
    }
    for (const [index, representation] of args.representations.entries()) {
      checkRepresentation(representation, index, entityTypes);
    }
    return resolveEntities(root, args, context, info);
  };
  return schema;
}

/** What `{ _service { sdl } }` answers on the subgraph schema: the file a schema registry is given. */
export function readServiceSdl(subgraph: GraphQLSchema): string {
  const result = executeSync({ schema: subgraph, document: parse('{ _service { sdl } }') });
  const sdl = (result.data as { _service?: { sdl?: unknown } } | null | undefined)?._service?.sdl;
  if (result.errors !== undefined || typeof sdl !== 'string')
    throw new Error('The subgraph schema does not answer _service { sdl }.');
  return sdl;
}
