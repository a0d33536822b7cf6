import { invalidRequest } from '../athena-error.js';
import { stringMember, validateRequest } from '../request-validator.js';
import { toWireWorkGroup } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

export const getWorkGroupOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetWorkGroup', input);
    const name = stringMember(input, 'WorkGroup') as string;
    const workGroup = store.getWorkGroup(name);
    // The model declares no ResourceNotFoundException for GetWorkGroup. GUESS: the wording.
    if (!workGroup) throw invalidRequest(`WorkGroup ${name} is not found.`, { AthenaErrorCode: 'INVALID_INPUT' });
    return { WorkGroup: toWireWorkGroup(workGroup) };
  },
};
