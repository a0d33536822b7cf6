// The cost limit: an upper bound on the objects an operation can resolve, computed from the
// document alone (so it is validated once per document and cached). Unlike a literal-only cost
// rule it is pessimistic about variables: `first: $n` counts as the largest page and `ids: $ids`
// as the longest list, so moving numbers into variables cannot hide fan-out. Every upstream call
// the gateway makes resolves at least one object, or is a field that costs a call of its own (which
// counts even when it is a leaf), so the bound also caps upstream calls. The field tables
// (athena/session-fields.ts, athena/calculation-fields.ts) say which fields those are, and which
// values an entity's own call answers: under `_entities` those count nothing (see operationCost).
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { CALCULATION_CALL_FIELDS, CALCULATION_SCHEMA_FIELDS } from '../athena/calculation-fields.js';
import { SESSION_CALL_FIELDS, SESSION_FIELD_SOURCES } from '../athena/session-fields.js';
import { DEFAULT_PAGE_SIZE, MAX_MERGED_WORK_GROUPS, MAX_NODES, MAX_PAGE_SIZE, MAX_REPRESENTATIONS } from './limits.js';

/** By type, the fields that the upstream call which answers an object of that type carries. */
const ANSWERED_WITH_OBJECT: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Session', new Set(Object.keys(SESSION_FIELD_SOURCES))],
  ['Calculation', new Set(CALCULATION_SCHEMA_FIELDS.keys())],
]);
/** By type, the fields that cost an upstream call of their own whenever they are selected. */
const OWN_CALL_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Session', new Set(Object.keys(SESSION_CALL_FIELDS))],
  ['Calculation', new Set(Object.keys(CALCULATION_CALL_FIELDS))],
]);

/** An object with an identity of its own (a Node), which may cost a call to resolve; any other object type is a value. */
const isEntityType = (type: GraphQLCompositeType): boolean =>
  !isObjectType(type) || type.getInterfaces().some((face) => face.name === 'Node');

/**
 * What answers the object a selection is on: `entity` for an element of `_entities`, whose own
 * call answers the fields its table lists; `value` for a value inside that answer; `none` otherwise.
 */
type Answered = 'entity' | 'value' | 'none';

/**
 * The cost of an operation: each composite field counts once per object it can resolve. A field
 * with a `first` argument passes that many elements to the list fields below it (its `edges`);
 * a list field with a list argument (`nodes(ids:)`, `_entities(representations:)`) resolves one
 * object per element. A leaf that costs a call of its own (`Calculation.code`) counts once per
 * object it is selected on; other leaves, `__typename` and introspection cost nothing
 * (introspection depth is bounded by graphql-js's own MaxIntrospectionDepthRule, and it is off in
 * production).
 *
 * `_entities` is a router's batch, which it cannot split to fit this limit, and whose length
 * MAX_REPRESENTATIONS already bounds knowing that each element may cost a call. So an element of
 * `_entities` counts its one object, and the values its own call answers (a session's status,
 * configuration and statistics; a calculation's status, statistics and result, by the field
 * tables) count nothing, nor do the values inside them; what its selection reaches beyond that
 * answer (connections, endpoints, code, a calculation's session) counts as anywhere else. Outside
 * `_entities` values count as objects: a client can split its pages, and the limit is sized for that.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): number {
  const rootType = schema.getRootType(operation.operation);
  if (rootType === undefined || rootType === null) return 0;
  // A fragment's cost is linear in how many times it is resolved, so its unit cost is computed
  // once per page factor: nested fragment spreads cannot make this exponential.
  const unitCosts = new Map<string, number>();
  const inProgress = new Set<string>();

  const fragmentUnitCost = (name: string, pageFactor: number | undefined, answered: Answered): number => {
    const key = `${name}:${pageFactor ?? ''}:${answered}`;
    const known = unitCosts.get(key);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    // Unknown fragments and cycles are other rules' errors; they add nothing here.
    if (fragment === undefined || inProgress.has(key)) return 0;
    const type = schema.getType(fragment.typeCondition.name.value);
    if (!isCompositeType(type)) return 0;
    inProgress.add(key);
    const cost = selectionSetCost(fragment.selectionSet, type, 1, pageFactor, answered);
    inProgress.delete(key);
    unitCosts.set(key, cost);
    return cost;
  };

  const selectionSetCost = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    multiplier: number,
    pageFactor: number | undefined,
    answered: Answered,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += fieldCost(selection, parentType, multiplier, pageFactor, answered);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type =
          selection.typeCondition === undefined ? parentType : schema.getType(selection.typeCondition.name.value);
        if (isCompositeType(type))
          cost += selectionSetCost(selection.selectionSet, type, multiplier, pageFactor, answered);
      } else {
        cost += multiplier * fragmentUnitCost(selection.name.value, pageFactor, answered);
      }
    }
    return cost;
  };

  const fieldCost = (
    node: FieldNode,
    parentType: GraphQLCompositeType,
    multiplier: number,
    pageFactor: number | undefined,
    answered: Answered,
  ): number => {
    const name = node.name.value;
    if (name.startsWith('__')) return 0;
    const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
    if (field === undefined) return 0;
    const type = getNamedType(field.type);
    if (node.selectionSet === undefined || !isCompositeType(type))
      return OWN_CALL_FIELDS.get(parentType.name)?.has(name) ? multiplier : 0;
    const elements = isListType(getNullableType(field.type))
      ? (listArgumentLength(node, parentType, field) ?? pageFactor ?? 1)
      : 1;
    const resolved = multiplier * elements;
    const value =
      !isEntityType(type) &&
      (answered === 'value' ||
        (answered === 'entity' && ANSWERED_WITH_OBJECT.get(parentType.name)?.has(name) === true));
    const below: Answered = value ? 'value' : parentType === rootType && name === '_entities' ? 'entity' : 'none';
    return (
      (value ? 0 : resolved) +
      multiplier * mergedWorkGroups(node, field) +
      selectionSetCost(node.selectionSet, type, resolved, pageSize(node, field), below)
    );
  };

  return selectionSetCost(operation.selectionSet, rootType, 1, undefined, 'none');
}

/**
 * `allSessions` reads one ListSessions per work group it merges, whatever its page size: the
 * literal `workGroups` list, else (a variable, or absent: every visible one) the most it merges.
 */
function mergedWorkGroups(node: FieldNode, field: GraphQLField<unknown, unknown>): number {
  if (field.name !== 'allSessions') return 0;
  const value = node.arguments?.find((arg) => arg.name.value === 'workGroups')?.value;
  return value?.kind === Kind.LIST ? Math.min(value.values.length, MAX_MERGED_WORK_GROUPS) : MAX_MERGED_WORK_GROUPS;
}

/**
 * Elements a connection field asks for: its literal `first` (capped at the largest page, since
 * more is refused at run time with a clearer message), the largest page for a variable, the
 * default when absent.
 */
function pageSize(node: FieldNode, field: GraphQLField<unknown, unknown>): number | undefined {
  if (!field.args.some((arg) => arg.name === 'first')) return undefined;
  const first = node.arguments?.find((arg) => arg.name.value === 'first');
  if (first === undefined || first.value.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
  if (first.value.kind === Kind.INT)
    return Math.min(MAX_PAGE_SIZE, Math.max(0, Number.parseInt(first.value.value, 10)));
  return first.value.kind === Kind.VARIABLE ? MAX_PAGE_SIZE : DEFAULT_PAGE_SIZE;
}

/**
 * The longest list each list argument of a list field may hold at run time (its resolver refuses
 * more), by `Type.field.argument`: what a variable there counts as. Each field has its own limit.
 */
export const LIST_ARGUMENT_LIMITS: ReadonlyMap<string, number> = new Map([
  ['Query.nodes.ids', MAX_NODES],
  ['Query._entities.representations', MAX_REPRESENTATIONS],
]);
/** A list argument missing from the table counts as the longest of them, never as less (a test keeps the table complete). */
const LONGEST_LIST_ARGUMENT = Math.max(...LIST_ARGUMENT_LIMITS.values());

/** The longest list argument of a field: its literal length, or the run-time maximum for a variable. */
function listArgumentLength(
  node: FieldNode,
  parentType: GraphQLCompositeType,
  field: GraphQLField<unknown, unknown>,
): number | undefined {
  let length: number | undefined;
  for (const argument of node.arguments ?? []) {
    const definition = field.args.find((arg) => arg.name === argument.name.value);
    if (definition === undefined || !isListType(getNullableType(definition.type))) continue;
    const value = argument.value;
    const limit =
      LIST_ARGUMENT_LIMITS.get(`${parentType.name}.${field.name}.${definition.name}`) ?? LONGEST_LIST_ARGUMENT;
    const size =
      value.kind === Kind.LIST
        ? value.values.length
        : value.kind === Kind.VARIABLE
          ? limit
          : value.kind === Kind.NULL
            ? 0
            : 1;
    length = Math.max(length ?? 0, size);
  }
  return length;
}

/** A validation rule that rejects an operation whose cost is over `maxCost`, through `reject`. */
export function costLimitRule(maxCost: number, reject: (cost: number) => GraphQLError): ValidationRule {
  return (context) => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
    );
    return {
      OperationDefinition(operation) {
        const cost = operationCost(context.getSchema(), operation, fragments);
        if (cost > maxCost) throw reject(cost);
      },
    };
  };
}
