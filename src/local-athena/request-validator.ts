import type { OperationName, ShapeName, Violation } from '../athena-model/index.js';
import { OPERATIONS, violations } from '../athena-model/index.js';
import { invalidRequest } from './athena-error.js';

/**
 * Checks one AWS JSON request against the operation's input shape in AWS's model and answers
 * every violation in one InvalidRequestException, the way AWS (Coral) words them:
 * "2 validation errors detected: Value '0' at 'maxResults' failed to satisfy constraint: ...; Value ...".
 * The service thus refuses exactly what the model refuses. Members the model does not have
 * are ignored, as AWS ignores them.
 */

export type JsonObject = Record<string, unknown>;

/** Longest value quoted in a message; AWS echoes values, but a 68 kB code block helps nobody. */
const MAX_QUOTED_VALUE_LENGTH = 256;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text.length > MAX_QUOTED_VALUE_LENGTH) text = `${text.slice(0, MAX_QUOTED_VALUE_LENGTH)}...`;
  return `'${text}'`;
}

export function formatViolation({ path, value, constraint }: Violation): string {
  return `Value ${quote(value)} at '${path}' failed to satisfy constraint: ${constraint}`;
}

export function throwIfViolations(found: readonly Violation[]): void {
  if (found.length === 0) return;
  const heading = found.length === 1 ? '1 validation error detected: ' : `${found.length} validation errors detected: `;
  throw invalidRequest(heading + found.map(formatViolation).join('; '));
}

/** Validates `input` against the operation's input shape; throws InvalidRequestException. */
export function validateRequest(operation: OperationName, input: JsonObject): void {
  throwIfViolations(violations(OPERATIONS[operation].input as ShapeName, input));
}

// Typed reads of members the model check has already passed: each returns undefined when absent.

export function stringMember(input: JsonObject, member: string): string | undefined {
  const value = input[member];
  return typeof value === 'string' ? value : undefined;
}

export function numberMember(input: JsonObject, member: string): number | undefined {
  const value = input[member];
  return typeof value === 'number' ? value : undefined;
}

export function booleanMember(input: JsonObject, member: string): boolean | undefined {
  const value = input[member];
  return typeof value === 'boolean' ? value : undefined;
}

export function structureMember(input: JsonObject, member: string): JsonObject | undefined {
  const value = input[member];
  return isJsonObject(value) ? value : undefined;
}

export function listMember(input: JsonObject, member: string): JsonObject[] | undefined {
  const value = input[member];
  return Array.isArray(value) ? value.filter(isJsonObject) : undefined;
}

/** A string map as a fresh object; fromEntries keeps keys such as "__proto__" ordinary keys. */
export function stringMapMember(input: JsonObject, member: string): Record<string, string> | undefined {
  const value = input[member];
  if (!isJsonObject(value)) return undefined;
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
