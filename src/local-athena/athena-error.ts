/**
 * An error answered to the client in AWS JSON 1.1 form. Operations throw these; the server
 * turns them into `{"__type": ..., "Message": ...}` with the matching HTTP status.
 */
export type AthenaErrorType =
  | 'InvalidRequestException'
  | 'ResourceNotFoundException'
  | 'InternalServerException'
  | 'TooManyRequestsException'
  | 'UnknownOperationException'
  | 'SerializationException';

const HTTP_STATUS_BY_ERROR_TYPE: Record<AthenaErrorType, number> = {
  InvalidRequestException: 400,
  ResourceNotFoundException: 400,
  InternalServerException: 500,
  TooManyRequestsException: 400,
  UnknownOperationException: 400,
  SerializationException: 400,
};

export class AthenaError extends Error {
  readonly type: AthenaErrorType;
  readonly httpStatus: number;
  /** Extra members of the error shape, e.g. `ResourceName` or `Reason`. */
  readonly extraMembers: Readonly<Record<string, string>>;

  constructor(type: AthenaErrorType, message: string, extraMembers: Record<string, string> = {}) {
    super(message);
    this.name = type;
    this.type = type;
    this.httpStatus = HTTP_STATUS_BY_ERROR_TYPE[type];
    this.extraMembers = extraMembers;
  }

  toWireBody(): Record<string, string> {
    return { __type: this.type, Message: this.message, ...this.extraMembers };
  }
}

export function invalidRequest(message: string, extraMembers: Record<string, string> = {}): AthenaError {
  return new AthenaError('InvalidRequestException', message, extraMembers);
}

export function sessionNotFound(sessionId: string): AthenaError {
  return new AthenaError('ResourceNotFoundException', `Session ${sessionId} not found`, {
    ResourceName: sessionId,
  });
}

export function workGroupNotFound(workGroup: string): AthenaError {
  return new AthenaError('ResourceNotFoundException', `WorkGroup ${workGroup} is not found.`, {
    ResourceName: workGroup,
  });
}

export function calculationNotFound(calculationExecutionId: string): AthenaError {
  return new AthenaError('ResourceNotFoundException', `Calculation ${calculationExecutionId} not found`, {
    ResourceName: calculationExecutionId,
  });
}
