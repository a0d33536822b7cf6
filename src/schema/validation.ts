// Argument rules, checked before any upstream call. Those that mirror an Athena member come from
// AWS's model (src/athena-model), so the gateway refuses exactly what Athena would refuse.

import type { ShapeName } from '../athena-model/index.js';
import { describeShape, violation } from '../athena-model/index.js';
import { BadUserInputError } from '../errors.js';

/** Checks an optional argument against a model shape; absent (null/undefined) passes as undefined. */
export function validateMember<T extends string | number | boolean>(
  shapeName: ShapeName,
  value: T | null | undefined,
  argumentName: string,
): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (violation(shapeName, value) !== undefined) {
    throw new BadUserInputError(`${argumentName} must be ${describeShape(shapeName)}.`, argumentName);
  }
  return value;
}

export function validateSessionId(sessionId: string, argumentName = 'sessionId'): string {
  return validateMember('SessionId', sessionId, argumentName) as string;
}

export function validateWorkGroup(workGroup: string, argumentName = 'workGroup'): string {
  return validateMember('WorkGroupName', workGroup, argumentName) as string;
}

/** For the gateway's own limits (e.g. `first`), which the model does not know. */
export function validateIntRange(
  value: number | null | undefined,
  argumentName: string,
  min: number,
  max: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${argumentName} must be an integer from ${min} to ${max}.`, argumentName);
  }
  return value;
}

export function validateCalculationId(calculationId: string, argumentName = 'calculationId'): string {
  return validateMember('CalculationExecutionId', calculationId, argumentName) as string;
}
