import { stringMember, validateRequest } from '../request-validator.js';
import { toEpochSeconds } from '../wire-shapes.js';
import type { AthenaOperation } from './operation.js';

export const getSessionEndpointOperation: AthenaOperation = {
  handle(input, { store }) {
    validateRequest('GetSessionEndpoint', input);
    const endpoint = store.sessionEndpoint(stringMember(input, 'SessionId') as string);
    return {
      EndpointUrl: endpoint.endpointUrl,
      AuthToken: endpoint.authToken,
      AuthTokenExpirationTime: toEpochSeconds(endpoint.authTokenExpirationTime),
    };
  },
};
