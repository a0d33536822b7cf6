import { OPERATIONS, SHAPES } from './model-data.js';
import type { MemberRef, Shape, StructureShape } from './shape-types.js';

/**
 * Checks values against the model's constraints: the one reading of AWS's rules that both the
 * gateway (its argument checks) and the local service (its request validator) use.
 *
 * Where the model leaves the reading open, these choices hold (each is a reading, not a fact):
 * - a pattern must match the whole value (the model's patterns are not anchored, and
 *   `[a-zA-Z0-9._-]{1,128}` would accept anything that merely contains one such character);
 * - string lengths count Unicode code points, as Smithy's @length does;
 * - a value of the wrong JSON type breaks the shape (AWS may answer SerializationException).
 */

export type ShapeName = keyof typeof SHAPES;
export type OperationName = keyof typeof OPERATIONS;

export interface Violation {
  /** AWS's member path: lowerCamel member names, list elements as `name.1.member`. */
  path: string;
  value: unknown;
  /** e.g. "Member must have length less than or equal to 36". */
  constraint: string;
}

export interface MemberModel {
  name: string;
  shape: ShapeName;
  required: boolean;
  deprecated: boolean;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function isShapeName(name: string): name is ShapeName {
  return Object.hasOwn(SHAPES, name);
}

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATIONS, name);
}

export function shapeOf(name: ShapeName): Shape {
  return SHAPES[name] as Shape;
}

function structureOf(name: ShapeName): StructureShape {
  const shape = shapeOf(name);
  if (shape.type !== 'structure') throw new TypeError(`${name} is a ${shape.type}, not a structure`);
  return shape;
}

/** The members of a structure shape, in the model's order. */
export function membersOf(structure: ShapeName): MemberModel[] {
  const shape = structureOf(structure);
  return Object.entries(shape.members).map(([name, member]: [string, MemberRef]) => ({
    name,
    shape: member.shape as ShapeName,
    required: shape.required.includes(name),
    deprecated: member.deprecated === true,
  }));
}

/** The shape of one member of a structure; throws for a member the model does not have. */
export function memberShape(structure: ShapeName, member: string): ShapeName {
  const ref = structureOf(structure).members[member];
  if (!ref) throw new TypeError(`${structure} has no member ${member}`);
  return ref.shape as ShapeName;
}

export function inputMembers(operation: OperationName): MemberModel[] {
  return membersOf(OPERATIONS[operation].input as ShapeName);
}

export function outputMembers(operation: OperationName): MemberModel[] {
  return membersOf(OPERATIONS[operation].output as ShapeName);
}

const compiledPatterns = new Map<string, RegExp>();

/** The model's pattern as a whole-value match (see the file comment). */
export function patternRegExp(pattern: string): RegExp {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    compiled = new RegExp(`^(?:${pattern})$`, 'u');
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

/** Length in Unicode code points. */
export function codePointLength(value: string): number {
  let surrogatePairs = 0;
  for (let index = 0; index < value.length - 1; index += 1) {
    const unit = value.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs += 1;
        index += 1;
      }
    }
  }
  return value.length - surrogatePairs;
}

function lowerFirst(name: string): string {
  return name.length === 0 ? name : name.charAt(0).toLowerCase() + name.slice(1);
}

function join(path: string, member: string): string {
  return path === '' ? lowerFirst(member) : `${path}.${lowerFirst(member)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The constraints of a scalar shape that `value` breaks, as AWS words them. */
function scalarProblems(shape: Shape, value: unknown): string[] {
  switch (shape.type) {
    case 'string': {
      if (typeof value !== 'string') return ['Member must be of type string'];
      const problems: string[] = [];
      if (shape.enum && !shape.enum.includes(value)) {
        problems.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      }
      const length = shape.min !== undefined || shape.max !== undefined ? codePointLength(value) : 0;
      if (shape.min !== undefined && length < shape.min) {
        problems.push(`Member must have length greater than or equal to ${shape.min}`);
      }
      if (shape.max !== undefined && length > shape.max) {
        problems.push(`Member must have length less than or equal to ${shape.max}`);
      }
      if (shape.pattern !== undefined && !patternRegExp(shape.pattern).test(value)) {
        problems.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      return problems;
    }
    case 'integer':
    case 'long': {
      const inRange =
        typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        (shape.type === 'long' || (value >= INT32_MIN && value <= INT32_MAX));
      if (!inRange) return [`Member must be of type ${shape.type}`];
      const problems: string[] = [];
      if (shape.min !== undefined && value < shape.min) {
        problems.push(`Member must have value greater than or equal to ${shape.min}`);
      }
      if (shape.max !== undefined && value > shape.max) {
        problems.push(`Member must have value less than or equal to ${shape.max}`);
      }
      return problems;
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : ['Member must be of type boolean'];
    case 'timestamp':
      // awsJson1_1 sends timestamps as epoch seconds.
      return typeof value === 'number' && Number.isFinite(value) ? [] : ['Member must be of type timestamp'];
    default:
      return [];
  }
}

/**
 * Every constraint `value` breaks, walking structures, lists and maps: missing required
 * members, wrong types, lengths, ranges, patterns and enums. Members the model does not have
 * are ignored, as AWS's JSON protocol ignores them. `undefined` and `null` mean "absent".
 */
export function violations(shapeName: ShapeName, value: unknown, path = ''): Violation[] {
  const found: Violation[] = [];
  collect(shapeName, value, path, found);
  return found;
}

function collect(shapeName: ShapeName, value: unknown, path: string, found: Violation[]): void {
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) {
        found.push({ path, value, constraint: 'Member must be a structure' });
        return;
      }
      for (const [name, ref] of Object.entries(shape.members)) {
        const memberValue = Object.hasOwn(value, name) ? value[name] : undefined;
        const memberPath = join(path, name);
        if (memberValue === undefined || memberValue === null) {
          if (shape.required.includes(name)) {
            found.push({ path: memberPath, value: null, constraint: 'Member must not be null' });
          }
          continue;
        }
        collect(ref.shape as ShapeName, memberValue, memberPath, found);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        found.push({ path, value, constraint: 'Member must be a list' });
        return;
      }
      if (shape.min !== undefined && value.length < shape.min) {
        found.push({ path, value, constraint: `Member must have length greater than or equal to ${shape.min}` });
      }
      if (shape.max !== undefined && value.length > shape.max) {
        found.push({ path, value, constraint: `Member must have length less than or equal to ${shape.max}` });
      }
      value.forEach((element: unknown, index) => {
        const elementPath = `${path}.${index + 1}.member`;
        if (element === undefined || element === null) {
          found.push({ path: elementPath, value: null, constraint: 'Member must not be null' });
          return;
        }
        collect(shape.member.shape as ShapeName, element, elementPath, found);
      });
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        found.push({ path, value, constraint: 'Member must be a map' });
        return;
      }
      const keyShape = shapeOf(shape.key.shape as ShapeName);
      const valueShape = shapeOf(shape.value.shape as ShapeName);
      for (const [key, entryValue] of Object.entries(value)) {
        const keyProblems = scalarProblems(keyShape, key);
        if (keyProblems.length > 0) {
          found.push({ path, value: key, constraint: `Map keys must satisfy constraint: [${keyProblems.join(', ')}]` });
        }
        if (
          valueShape.type === 'string' ||
          valueShape.type === 'integer' ||
          valueShape.type === 'long' ||
          valueShape.type === 'boolean' ||
          valueShape.type === 'timestamp'
        ) {
          const valueProblems = scalarProblems(valueShape, entryValue);
          if (valueProblems.length > 0) {
            found.push({
              path,
              value: entryValue,
              constraint: `Map value must satisfy constraint: [${valueProblems.join(', ')}]`,
            });
          }
        } else if (entryValue !== undefined && entryValue !== null) {
          collect(shape.value.shape as ShapeName, entryValue, `${path}.${key}`, found);
        }
      }
      return;
    }
    default:
      for (const constraint of scalarProblems(shape, value)) found.push({ path, value, constraint });
  }
}

/**
 * The first constraint of `shapeName` that `value` breaks (deeply, for structures), or
 * undefined when the model accepts it. Absent values are accepted: whether a member is
 * required belongs to the structure that holds it (see `violations`).
 */
export function violation(shapeName: ShapeName, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const first = violations(shapeName, value)[0];
  if (!first) return undefined;
  return first.path === '' ? first.constraint : `${first.path}: ${first.constraint}`;
}

/** A short human description of a scalar shape's rule, e.g. "32 to 128 characters long". */
export function describeShape(shapeName: ShapeName): string {
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'string': {
      if (shape.enum) return `one of ${shape.enum.join(', ')}`;
      const parts: string[] = [];
      if (shape.min !== undefined && shape.max !== undefined)
        parts.push(`${shape.min} to ${shape.max} characters long`);
      else if (shape.max !== undefined) parts.push(`at most ${shape.max} characters long`);
      else if (shape.min !== undefined) parts.push(`at least ${shape.min} characters long`);
      if (shape.pattern !== undefined) parts.push(`matching ${shape.pattern}`);
      return parts.length > 0 ? parts.join(' and ') : 'a string';
    }
    case 'integer':
    case 'long':
      if (shape.min !== undefined && shape.max !== undefined) return `an integer from ${shape.min} to ${shape.max}`;
      if (shape.min !== undefined) return `an integer of at least ${shape.min}`;
      if (shape.max !== undefined) return `an integer of at most ${shape.max}`;
      return 'an integer';
    default:
      return `a ${shape.type}`;
  }
}

/**
 * A copy of `value` with only the members the model has for `shapeName` (deeply), so that a
 * structure a client sent can be echoed back the way AWS would store it.
 */
export function onlyModelled(shapeName: ShapeName, value: unknown): unknown {
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) return undefined;
      const copy: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members)) {
        if (!Object.hasOwn(value, name) || value[name] === undefined || value[name] === null) continue;
        copy[name] = onlyModelled(ref.shape as ShapeName, value[name]);
      }
      return copy;
    }
    case 'list':
      return Array.isArray(value)
        ? value.map((element: unknown) => onlyModelled(shape.member.shape as ShapeName, element))
        : undefined;
    case 'map':
      return isPlainObject(value)
        ? Object.fromEntries(
            Object.entries(value).map(([key, entry]) => [key, onlyModelled(shape.value.shape as ShapeName, entry)]),
          )
        : undefined;
    default:
      return value;
  }
}
