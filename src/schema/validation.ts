// Argument rules from the Athena reference, checked before any upstream call.
import { BadUserInputError } from '../errors.js';

const WORK_GROUP_PATTERN = /^[a-zA-Z0-9._-]{1,128}$/;

export function validateSessionId(sessionId: string, argumentName = 'sessionId'): string {
  if (sessionId.length < 1 || sessionId.length > 256) {
    throw new BadUserInputError(`${argumentName} must be 1 to 256 characters long.`, argumentName);
  }
  return sessionId;
}

export function validateWorkGroup(workGroup: string, argumentName = 'workGroup'): string {
  if (!WORK_GROUP_PATTERN.test(workGroup)) {
    throw new BadUserInputError(`${argumentName} must match [a-zA-Z0-9._-]{1,128}.`, argumentName);
  }
  return workGroup;
}

export function validateIntRange(value: number | null | undefined, argumentName: string, min: number, max: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${argumentName} must be an integer from ${min} to ${max}.`, argumentName);
  }
  return value;
}

export function validateLength(value: string | null | undefined, argumentName: string, min: number, max: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length < min || value.length > max) {
    throw new BadUserInputError(`${argumentName} must be ${min} to ${max} characters long.`, argumentName);
  }
  return value;
}

/** CalculationExecutionId: 1 to 36 characters (a UUID) in AWS's model. */
export function validateCalculationId(calculationId: string, argumentName = 'calculationId'): string {
  return validateLength(calculationId, argumentName, 1, 36)!;
}
