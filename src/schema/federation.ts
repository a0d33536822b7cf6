// The code-first schema as an Apollo Federation v2 subgraph: the API clients see, plus `_service`
// and `_entities`, with `Session` keyed by `sessionId` and `WorkGroup` keyed by `name`.
//
// Entity references go through the same entry points as `session`, `workGroup`, `node` and `nodes`:
// the per-request loaders (so references to one session cost one call, whatever their number),
// the cheapest call for the selection, the same argument rules and the same visibility rules.
import { printSubgraphSchema } from '@apollo/subgraph';
import {
  executeSync,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  Kind,
  parse,
  printType,
  type ConstDirectiveNode,
  type GraphQLFieldConfig,
  type GraphQLResolveInfo,
  type ObjectTypeDefinitionNode,
  type SchemaExtensionNode,
} from 'graphql';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { loadSessionRef, requireScope, selectsSessionDetails, type SessionRef } from './session.js';
import { validateSessionId, validateWorkGroup } from './validation.js';
import { loadWorkGroupRef, validateNestedSessionsArgs, type WorkGroupRef } from './work-group.js';

/**
 * Federation 2.3 has everything this subgraph uses (`@key`, `@shareable`) and every federation
 * router in use reads it; composition lifts the supergraph to the newest version among subgraphs.
 */
export const FEDERATION_SPEC_URL = 'https://specs.apollo.dev/federation/v2.3';

interface EntityDefinition {
  /** The `@key` field set; a single field for both entities. */
  readonly key: string;
  /** Checks the key before any upstream call; throws BAD_USER_INPUT. */
  validate(key: string, argumentName: string, context: GatewayContext, info: GraphQLResolveInfo): void;
  load(context: GatewayContext, key: string, info: GraphQLResolveInfo): Promise<SessionRef | WorkGroupRef | null>;
}

const ENTITIES: Readonly<Record<string, EntityDefinition>> = {
  Session: {
    key: 'sessionId',
    validate: (sessionId, argumentName) => void validateSessionId(sessionId, argumentName),
    load: (context, sessionId, info) => loadSessionRef(context, sessionId, selectsSessionDetails(info)),
  },
  WorkGroup: {
    key: 'name',
    validate: (name, argumentName, context, info) => {
      validateWorkGroup(name, argumentName);
      validateNestedSessionsArgs(context, name, info);
    },
    load: (context, name, info) => loadWorkGroupRef(context, name, info),
  },
};

/**
 * Value types that other subgraphs commonly define too: marking them shareable lets a subgraph that
 * also declares them `@shareable` (every Relay subgraph has a PageInfo) compose with this one.
 */
const SHAREABLE_TYPES = ['PageInfo'];

interface Reference {
  readonly entity: EntityDefinition;
  readonly key: string;
}

/** A representation is `{ __typename, <key field> }`; anything else is the caller's mistake. */
function parseRepresentation(representation: unknown, index: number, context: GatewayContext, info: GraphQLResolveInfo): Reference {
  const at = `representations[${index}]`;
  if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
    throw new BadUserInputError(`${at} must be an object with __typename and the entity's key.`, at);
  }
  const { __typename: typename } = representation as { __typename?: unknown };
  const entity = typeof typename === 'string' && Object.hasOwn(ENTITIES, typename) ? ENTITIES[typename] : undefined;
  if (entity === undefined) {
    throw new BadUserInputError(`${at}.__typename must be one of ${Object.keys(ENTITIES).join(', ')}.`, `${at}.__typename`);
  }
  const key = (representation as Record<string, unknown>)[entity.key];
  const argumentName = `${at}.${entity.key}`;
  if (typeof key !== 'string') throw new BadUserInputError(`${argumentName} must be a string.`, argumentName);
  entity.validate(key, argumentName, context, info);
  return { entity, key };
}

const AnyScalar = new GraphQLScalarType({
  name: '_Any',
  description: 'An entity representation: `__typename` and the fields of one of its keys.',
});

const ServiceObject = new GraphQLObjectType({
  name: '_Service',
  fields: { sdl: { type: GraphQLString } },
});

/** `@name(args)` as an AST node, from SDL text, so the directive is written the way it reads. */
function directive(source: string): ConstDirectiveNode {
  const definition = parse(`scalar X ${source}`).definitions[0];
  if (definition?.kind !== Kind.SCALAR_TYPE_DEFINITION || definition.directives?.length !== 1) {
    throw new Error(`Not a single directive: ${source}`);
  }
  return definition.directives[0]!;
}

/**
 * Federation reads directives from the AST, so a type that carries one gets a definition node:
 * the type as printed, plus the directives.
 */
function annotate(type: GraphQLObjectType, directives: ConstDirectiveNode[]): void {
  const printed = parse(printType(type)).definitions[0] as ObjectTypeDefinitionNode;
  type.astNode = { ...printed, directives: [...(printed.directives ?? []), ...directives] };
}

function objectType(schema: GraphQLSchema, name: string): GraphQLObjectType {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`The schema has no object type ${name}.`);
  return type;
}

/**
 * Makes `schema` a subgraph schema. It must be a schema of its own (not one that is also served or
 * printed as the client API), because the entity types get federation annotations in place.
 */
export function toSubgraphSchema(schema: GraphQLSchema): GraphQLSchema {
  const entityTypes = Object.entries(ENTITIES).map(([name, entity]) => {
    const type = objectType(schema, name);
    annotate(type, [directive(`@key(fields: "${entity.key}")`)]);
    return type;
  });
  for (const name of SHAREABLE_TYPES) annotate(objectType(schema, name), [directive('@shareable')]);

  const EntityUnion = new GraphQLUnionType({
    name: '_Entity',
    types: entityTypes,
    resolveType: (value: SessionRef | WorkGroupRef) => value.__typename,
  });

  const entitiesField: GraphQLFieldConfig<unknown, GatewayContext, { representations: readonly unknown[] }> = {
    type: new GraphQLNonNull(new GraphQLList(EntityUnion)),
    description: 'Entities by their keys, for a federation router; null for each one that does not exist (or is not yours to see).',
    args: { representations: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(AnyScalar))) } },
    resolve: (_root, { representations }, context, info) => {
      requireScope(context, 'sessions:read');
      // Every representation is checked before the first upstream call, as `nodes` checks its ids.
      const references = representations.map((representation, index) => parseRepresentation(representation, index, context, info));
      return references.map(({ entity, key }) => entity.load(context, key, info));
    },
  };

  // Printed on first request: routers ask once, and a process that never serves one skips the cost.
  let sdl: string | undefined;
  const serviceField: GraphQLFieldConfig<unknown, GatewayContext> = {
    type: new GraphQLNonNull(ServiceObject),
    description: 'This subgraph\'s schema in federation SDL, for a federation router or registry.',
    resolve: () => ({ sdl: (sdl ??= printSubgraphSchema(subgraph)) }),
  };

  const config = schema.toConfig();
  const queryConfig = objectType(schema, 'Query').toConfig();
  const query = new GraphQLObjectType({
    ...queryConfig,
    fields: { ...queryConfig.fields, _entities: entitiesField, _service: serviceField },
  });
  const link: SchemaExtensionNode = {
    kind: Kind.SCHEMA_EXTENSION,
    directives: [directive(`@link(url: "${FEDERATION_SPEC_URL}", import: ["@key", "@shareable"])`)],
  };
  const subgraph = new GraphQLSchema({
    ...config,
    query,
    types: [...config.types.filter((type) => type.name !== 'Query'), query, EntityUnion, AnyScalar, ServiceObject],
    extensionASTNodes: [...config.extensionASTNodes, link],
  });
  return subgraph;
}

/** What `{ _service { sdl } }` answers on a subgraph schema: the file a schema registry is given. */
export function readServiceSdl(subgraph: GraphQLSchema): string {
  const result = executeSync({ schema: subgraph, document: parse('{ _service { sdl } }') });
  const sdl = (result.data as { _service?: { sdl?: unknown } } | null | undefined)?._service?.sdl;
  if (result.errors !== undefined || typeof sdl !== 'string') throw new Error('The subgraph schema does not answer _service { sdl }.');
  return sdl;
}
