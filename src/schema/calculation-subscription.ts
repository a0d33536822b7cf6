// The `calculationStatus` subscription: the same design as `sessionStatus` (one shared upstream
// poller per calculation, the current status at once, then each change, then the end) over
// GetCalculationExecutionStatus.
import { type CalculationStatus, isAthenaError } from '../athena/port.js';
import { NotFoundError } from '../errors.js';
import { type StatusEvent, statusEvents } from '../subscriptions/status-events.js';
import { isFinalCalculationStatus } from '../subscriptions/status-poller.js';
import { builder } from './builder.js';
import { loadCalculationRef } from './calculation.js';
import { CalculationStatusObject } from './calculation-status.js';
import { requireScope } from './scope.js';
import { validateCalculationId } from './validation.js';

builder.subscriptionField('calculationStatus', (t) =>
  t.field({
    type: CalculationStatusObject,
    nullable: false,
    description:
      'The status of one calculation: the current status at once, then each change, and the subscription completes ' +
      'after COMPLETED, FAILED or CANCELED. An unknown calculation is a NOT_FOUND error. The gateway polls Athena for it ' +
      'every SUBSCRIPTION_POLL_MS, once per calculation however many clients watch.',
    args: {
      calculationId: t.arg.string({
        required: true,
        description: 'The calculation execution id (1 to 36 characters).',
      }),
    },
    subscribe: async (_root, args, context) => {
      requireScope(context, 'sessions:read');
      const calculationId = validateCalculationId(args.calculationId);
      // The same entry point as `calculation`: the cheapest call, and work-group visibility for restricted callers.
      const calculation = await loadCalculationRef(context, calculationId, { details: false, codeOnly: false });
      const status = calculation?.known.status;
      if (status === undefined) throw new NotFoundError(`Calculation ${calculationId} not found.`);
      return statusEvents(context.calculationStatusPoller, calculationId, status, isFinalCalculationStatus, (error) =>
        isAthenaError(error, 'not-found') ? new NotFoundError(`Calculation ${calculationId} no longer exists.`) : error,
      );
    },
    resolve: (event: StatusEvent<CalculationStatus>) => {
      if ('error' in event) throw event.error;
      return event.status;
    },
  }),
);
