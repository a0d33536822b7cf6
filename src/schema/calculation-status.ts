// The status, statistics and result of a calculation: plain objects over the port's types, shared
// by the Calculation type, its mutations and the `calculationStatus` subscription.
import {
  CALCULATION_STATES,
  type CalculationResult,
  type CalculationState,
  type CalculationStatistics,
  type CalculationStatus,
} from '../athena/port.js';
import { builder } from './builder.js';
// The status fields use DateTime: its definition comes first in the schema, whoever imports this module first.
import './scalars.js';

// From AWS's model of CalculationStatus.State.
const STATE_DESCRIPTIONS: Record<CalculationState, string> = {
  CREATING: 'The calculation is in the process of being created.',
  CREATED: 'The calculation has been created and is ready to run.',
  QUEUED: 'The calculation has been queued for processing.',
  RUNNING: 'The calculation is running.',
  CANCELING: 'A request to cancel the calculation has been received and the system is working to stop it.',
  CANCELED: 'The calculation is no longer running as the result of a cancel request.',
  COMPLETED: 'The calculation has completed without error.',
  FAILED: 'The calculation failed and is no longer running.',
};

export const CalculationStateEnum = builder.enumType('CalculationState', {
  description: 'The state of a calculation in an Athena Spark session.',
  values: Object.fromEntries(
    CALCULATION_STATES.map((state) => [state, { value: state, description: STATE_DESCRIPTIONS[state] }]),
  ) as Record<CalculationState, { value: CalculationState; description: string }>,
});

export const CalculationStatusObject = builder.objectRef<CalculationStatus>('CalculationStatus').implement({
  description: 'Where a calculation is in its lifecycle.',
  fields: (t) => ({
    state: t.field({ type: CalculationStateEnum, nullable: false, resolve: (status) => status.state }),
    stateChangeReason: t.exposeString('stateChangeReason', {
      description:
        'The reason for the calculation state change (for example, the calculation was canceled because the session was terminated).',
    }),
    submissionDateTime: t.expose('submissionDateTime', {
      type: 'DateTime',
      description: 'The date and time the calculation was submitted for processing.',
    }),
    completionDateTime: t.expose('completionDateTime', {
      type: 'DateTime',
      description: 'The date and time the calculation completed processing.',
    }),
  }),
});

export const CalculationStatisticsObject = builder.objectRef<CalculationStatistics>('CalculationStatistics').implement({
  description: 'Usage of a calculation.',
  fields: (t) => ({
    dpuExecutionInMillis: t.field({
      type: 'SafeInt',
      description: 'The data processing unit execution time in milliseconds for the calculation.',
      resolve: (statistics) => statistics.dpuExecutionInMillis,
    }),
    progress: t.exposeString('progress', { description: 'The progress of the calculation.' }),
  }),
});

export const CalculationResultObject = builder.objectRef<CalculationResult>('CalculationResult').implement({
  description: 'Where the output of a calculation is stored.',
  fields: (t) => ({
    stdOutS3Uri: t.exposeString('stdOutS3Uri', {
      description: 'The Amazon S3 location of the stdout file for the calculation.',
    }),
    stdErrorS3Uri: t.exposeString('stdErrorS3Uri', {
      description: 'The Amazon S3 location of the stderr error messages file for the calculation.',
    }),
    resultS3Uri: t.exposeString('resultS3Uri', {
      description: 'The Amazon S3 location of the folder for the calculation results.',
    }),
    resultType: t.exposeString('resultType', {
      description: 'The data format of the calculation result (a MIME type).',
    }),
  }),
});
