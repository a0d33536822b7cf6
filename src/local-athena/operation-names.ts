/** The Athena operations the local service implements (the X-Amz-Target suffixes). */
export const ATHENA_OPERATION_NAMES = [
  'StartSession',
  'GetSession',
  'GetSessionStatus',
  'ListSessions',
  'TerminateSession',
  'StartCalculationExecution',
  'GetCalculationExecution',
  'ListWorkGroups',
  'GetWorkGroup',
  'GetCalculationExecutionStatus',
  'GetCalculationExecutionCode',
  'ListCalculationExecutions',
  'StopCalculationExecution',
  'GetSessionEndpoint',
] as const;
export type AthenaOperationName = (typeof ATHENA_OPERATION_NAMES)[number];

export function isAthenaOperationName(name: string): name is AthenaOperationName {
  return (ATHENA_OPERATION_NAMES as readonly string[]).includes(name);
}
