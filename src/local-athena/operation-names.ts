// The Athena operations the local service implements: exactly those of the extracted service model
// (scripts/extract-athena-model.ts picks them), so that the names live in one list. Adding one is a
// line in that script, a module in operations/, and its entry in server.ts's table, which the
// build asks for.
import { isOperationName, OPERATIONS, type OperationName } from '../athena-model/index.js';

export type AthenaOperationName = OperationName;

export const ATHENA_OPERATION_NAMES = Object.keys(OPERATIONS) as [AthenaOperationName, ...AthenaOperationName[]];

export const isAthenaOperationName: (name: string) => name is AthenaOperationName = isOperationName;
