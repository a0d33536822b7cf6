// The AthenaPort over the real `@aws-sdk/client-athena`. This is the only module that sees SDK
// shapes and SDK exceptions: both are translated here, once.
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  AthenaClient,
  GetCalculationExecutionCodeCommand,
  GetCalculationExecutionCommand,
  GetCalculationExecutionStatusCommand,
  GetSessionCommand,
  GetSessionEndpointCommand,
  GetSessionStatusCommand,
  GetWorkGroupCommand,
  ListCalculationExecutionsCommand,
  ListSessionsCommand,
  ListWorkGroupsCommand,
  type CalculationStatistics as SdkCalculationStatistics,
  type CalculationStatus as SdkCalculationStatus,
  type EngineConfiguration as SdkEngineConfiguration,
  type EngineVersion as SdkEngineVersion,
  type SessionStatus as SdkSessionStatus,
  StartCalculationExecutionCommand,
  StartSessionCommand,
  StopCalculationExecutionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AthenaClientSettings } from '../config.js';
import {
  AthenaError,
  type AthenaErrorKind,
  type AthenaOperation,
  type AthenaPort,
  CALCULATION_STATES,
  type CalculationState,
  type CalculationStatistics,
  type CalculationStatus,
  type CallOptions,
  type EngineConfiguration,
  type EngineVersion,
  immutableViaGetSession,
  type ListCalculationsInput,
  type ListSessionsInput,
  type ListWorkGroupsInput,
  SESSION_STATES,
  type SessionState,
  type SessionStatus,
  type StartCalculationInput,
  type StartSessionInput,
  WORK_GROUP_STATES,
  type WorkGroupState,
  type WorkGroupSummary,
} from './port.js';

export type UpstreamOutcome = 'ok' | AthenaErrorKind;

export interface UpstreamCallEvent {
  operation: AthenaOperation;
  outcome: UpstreamOutcome;
  durationMs: number;
  /** Attempts the SDK made, retries included. */
  attempts: number;
  /** What the call was about, for traces. */
  sessionId?: string | undefined;
  workGroup?: string | undefined;
}

type CallTarget = Pick<UpstreamCallEvent, 'sessionId' | 'workGroup'>;

export interface SdkAdapterOptions {
  settings: AthenaClientSettings;
  /** Observes every finished call: logs and metrics hang here. */
  onCall?: ((event: UpstreamCallEvent) => void) | undefined;
}

/** Credentials for the embedded local service, which does not check signatures. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function createAthenaClient(settings: AthenaClientSettings): AthenaClient {
  // Keep-alive matters more than anything else here: a fresh TLS handshake per call would
  // cost more than the call. Sockets are capped so a burst queues instead of exhausting ports.
  const agentOptions = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: settings.maxSockets, maxFreeSockets: 32 };
  return new AthenaClient({
    region: settings.region,
    ...(settings.mode === 'aws' ? {} : { endpoint: settings.endpoint }),
    // Embedded mode needs no AWS account; a custom endpoint and real AWS use the standard chain.
    ...(settings.mode === 'embedded' ? { credentials: LOCAL_CREDENTIALS } : {}),
    // The standard strategy retries throttling (TooManyRequestsException), 5xx and transient
    // network errors with exponential backoff and jitter, and never 4xx validation errors.
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
}

export class SdkAthenaAdapter implements AthenaPort {
  readonly client: AthenaClient;
  readonly #onCall: SdkAdapterOptions['onCall'];

  constructor(options: SdkAdapterOptions & { client?: AthenaClient }) {
    this.client = options.client ?? createAthenaClient(options.settings);
    this.#onCall = options.onCall;
  }

  async getSession(sessionId: string, options?: CallOptions) {
    const output = await this.#call(
      'GetSession',
      options,
      (abortSignal) => this.client.send(new GetSessionCommand({ SessionId: sessionId }), { abortSignal }),
      { sessionId },
    );
    return {
      sessionId: output.SessionId ?? sessionId,
      description: output.Description,
      workGroup: output.WorkGroup,
      engineVersion: output.EngineVersion,
      engineConfiguration: output.EngineConfiguration && toEngineConfiguration(output.EngineConfiguration),
      notebookVersion: output.NotebookVersion,
      sessionConfiguration: output.SessionConfiguration && {
        executionRole: output.SessionConfiguration.ExecutionRole,
        workingDirectory: output.SessionConfiguration.WorkingDirectory,
        idleTimeoutSeconds: output.SessionConfiguration.IdleTimeoutSeconds,
        sessionIdleTimeoutInMinutes: output.SessionConfiguration.SessionIdleTimeoutInMinutes,
        encryptionConfiguration: output.SessionConfiguration.EncryptionConfiguration && {
          encryptionOption: output.SessionConfiguration.EncryptionConfiguration.EncryptionOption ?? 'UNKNOWN',
          kmsKey: output.SessionConfiguration.EncryptionConfiguration.KmsKey,
        },
      },
      status: toStatus(output.Status),
      statistics: output.Statistics && { dpuExecutionInMillis: output.Statistics.DpuExecutionInMillis },
    };
  }

  getImmutableSession(sessionId: string, options?: CallOptions) {
    return immutableViaGetSession(this, sessionId, options);
  }

  async getSessionStatus(sessionId: string, options?: CallOptions) {
    const output = await this.#call(
      'GetSessionStatus',
      options,
      (abortSignal) => this.client.send(new GetSessionStatusCommand({ SessionId: sessionId }), { abortSignal }),
      { sessionId },
    );
    return { sessionId: output.SessionId ?? sessionId, status: toStatus(output.Status) };
  }

  async listSessions(input: ListSessionsInput, options?: CallOptions) {
    const output = await this.#call(
      'ListSessions',
      options,
      (abortSignal) =>
        this.client.send(
          new ListSessionsCommand({
            WorkGroup: input.workGroup,
            StateFilter: input.stateFilter,
            MaxResults: input.maxResults,
            NextToken: input.nextToken,
          }),
          { abortSignal },
        ),
      { workGroup: input.workGroup },
    );
    return {
      sessions: (output.Sessions ?? []).map((summary) => ({
        sessionId: summary.SessionId ?? '',
        description: summary.Description,
        engineVersion: summary.EngineVersion && {
          selectedEngineVersion: summary.EngineVersion.SelectedEngineVersion,
          effectiveEngineVersion: summary.EngineVersion.EffectiveEngineVersion,
        },
        notebookVersion: summary.NotebookVersion,
        status: toStatus(summary.Status),
      })),
      // Some services send an empty string on the last page; that means "no more" too.
      nextToken: output.NextToken === '' ? undefined : output.NextToken,
    };
  }

  async terminateSession(sessionId: string, options?: CallOptions) {
    const output = await this.#call(
      'TerminateSession',
      options,
      (abortSignal) => this.client.send(new TerminateSessionCommand({ SessionId: sessionId }), { abortSignal }),
      { sessionId },
    );
    return { state: toSessionState(output.State) };
  }

  async startSession(input: StartSessionInput, options?: CallOptions) {
    // The SDK retries a StartSession whose answer was lost (a 500, a timeout, a dropped socket), and
    // the first attempt may have started a session already. With one token for every attempt,
    // Athena answers the retry with that session instead of starting a second one.
    const clientRequestToken = input.clientRequestToken ?? randomUUID();
    const output = await this.#call(
      'StartSession',
      options,
      (abortSignal) =>
        this.client.send(
          new StartSessionCommand({
            WorkGroup: input.workGroup,
            Description: input.description,
            EngineConfiguration: fromEngineConfiguration(input.engineConfiguration),
            ExecutionRole: input.executionRole,
            NotebookVersion: input.notebookVersion,
            SessionIdleTimeoutInMinutes: input.sessionIdleTimeoutInMinutes,
            ClientRequestToken: clientRequestToken,
          }),
          { abortSignal },
        ),
      { workGroup: input.workGroup },
    );
    if (output.SessionId === undefined) {
      throw new AthenaError('unavailable', 'StartSession', 'StartSession answered without a session id');
    }
    return { sessionId: output.SessionId, state: toSessionState(output.State) };
  }

  async startCalculationExecution(input: StartCalculationInput, options?: CallOptions) {
    // Same reason as StartSession: retried attempts must not run the code twice.
    const clientRequestToken = input.clientRequestToken ?? randomUUID();
    const output = await this.#call(
      'StartCalculationExecution',
      options,
      (abortSignal) =>
        this.client.send(
          new StartCalculationExecutionCommand({
            SessionId: input.sessionId,
            CodeBlock: input.codeBlock,
            Description: input.description,
            ClientRequestToken: clientRequestToken,
          }),
          { abortSignal },
        ),
      { sessionId: input.sessionId },
    );
    if (output.CalculationExecutionId === undefined) {
      throw new AthenaError(
        'unavailable',
        'StartCalculationExecution',
        'StartCalculationExecution answered without a calculation id',
      );
    }
    return { calculationExecutionId: output.CalculationExecutionId, state: toCalculationState(output.State) };
  }

  async getCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    const output = await this.#call('GetCalculationExecution', options, (abortSignal) =>
      this.client.send(new GetCalculationExecutionCommand({ CalculationExecutionId: calculationExecutionId }), {
        abortSignal,
      }),
    );
    return {
      calculationExecutionId: output.CalculationExecutionId ?? calculationExecutionId,
      sessionId: output.SessionId,
      description: output.Description,
      workingDirectory: output.WorkingDirectory,
      status: toCalculationStatus(output.Status),
      statistics: output.Statistics && toCalculationStatistics(output.Statistics),
      result: output.Result && {
        stdOutS3Uri: output.Result.StdOutS3Uri,
        stdErrorS3Uri: output.Result.StdErrorS3Uri,
        resultS3Uri: output.Result.ResultS3Uri,
        resultType: output.Result.ResultType,
      },
    };
  }

  async getCalculationExecutionStatus(calculationExecutionId: string, options?: CallOptions) {
    const output = await this.#call('GetCalculationExecutionStatus', options, (abortSignal) =>
      this.client.send(new GetCalculationExecutionStatusCommand({ CalculationExecutionId: calculationExecutionId }), {
        abortSignal,
      }),
    );
    return {
      calculationExecutionId,
      status: toCalculationStatus(output.Status),
      statistics: output.Statistics && toCalculationStatistics(output.Statistics),
    };
  }

  async getCalculationExecutionCode(calculationExecutionId: string, options?: CallOptions) {
    const output = await this.#call('GetCalculationExecutionCode', options, (abortSignal) =>
      this.client.send(new GetCalculationExecutionCodeCommand({ CalculationExecutionId: calculationExecutionId }), {
        abortSignal,
      }),
    );
    return output.CodeBlock ?? '';
  }

  async listCalculationExecutions(input: ListCalculationsInput, options?: CallOptions) {
    const output = await this.#call('ListCalculationExecutions', options, (abortSignal) =>
      this.client.send(
        new ListCalculationExecutionsCommand({
          SessionId: input.sessionId,
          StateFilter: input.stateFilter,
          MaxResults: input.maxResults,
          NextToken: input.nextToken,
        }),
        { abortSignal },
      ),
    );
    return {
      calculations: (output.Calculations ?? []).map((summary) => ({
        calculationExecutionId: summary.CalculationExecutionId ?? '',
        description: summary.Description,
        status: toCalculationStatus(summary.Status),
      })),
      nextToken: output.NextToken === '' ? undefined : output.NextToken,
    };
  }

  async stopCalculationExecution(calculationExecutionId: string, options?: CallOptions) {
    const output = await this.#call('StopCalculationExecution', options, (abortSignal) =>
      this.client.send(new StopCalculationExecutionCommand({ CalculationExecutionId: calculationExecutionId }), {
        abortSignal,
      }),
    );
    return { state: toCalculationState(output.State) };
  }

  async getSessionEndpoint(sessionId: string, options?: CallOptions) {
    const output = await this.#call('GetSessionEndpoint', options, (abortSignal) =>
      this.client.send(new GetSessionEndpointCommand({ SessionId: sessionId }), { abortSignal }),
    );
    if (output.EndpointUrl === undefined || output.AuthToken === undefined) {
      throw new AthenaError(
        'unavailable',
        'GetSessionEndpoint',
        'GetSessionEndpoint answered without an endpoint URL or token',
      );
    }
    return {
      endpointUrl: output.EndpointUrl,
      authToken: output.AuthToken,
      authTokenExpirationTime: output.AuthTokenExpirationTime,
    };
  }

  async listWorkGroups(input: ListWorkGroupsInput, options?: CallOptions) {
    const output = await this.#call('ListWorkGroups', options, (abortSignal) =>
      this.client.send(new ListWorkGroupsCommand({ MaxResults: input.maxResults, NextToken: input.nextToken }), {
        abortSignal,
      }),
    );
    return {
      workGroups: (output.WorkGroups ?? []).map(
        (row): WorkGroupSummary => ({
          name: row.Name ?? '',
          state: toWorkGroupState(row.State),
          description: row.Description,
          creationTime: row.CreationTime,
          engineVersion: toEngineVersion(row.EngineVersion),
        }),
      ),
      nextToken: output.NextToken === '' ? undefined : output.NextToken,
    };
  }

  async getWorkGroup(name: string, options?: CallOptions): Promise<WorkGroupSummary> {
    const output = await this.#call('GetWorkGroup', options, (abortSignal) =>
      this.client.send(new GetWorkGroupCommand({ WorkGroup: name }), { abortSignal }),
    );
    const workGroup = output.WorkGroup;
    return {
      name: workGroup?.Name ?? name,
      state: toWorkGroupState(workGroup?.State),
      description: workGroup?.Description,
      creationTime: workGroup?.CreationTime,
      engineVersion: toEngineVersion(workGroup?.Configuration?.EngineVersion),
    };
  }

  destroy(): void {
    this.client.destroy();
  }

  async #call<Output extends { $metadata: { attempts?: number | undefined } }>(
    operation: AthenaOperation,
    options: CallOptions | undefined,
    send: (abortSignal: AbortSignal | undefined) => Promise<Output>,
    target: CallTarget = {},
  ): Promise<Output> {
    const started = performance.now();
    try {
      const output = await send(options?.signal);
      this.#onCall?.({
        operation,
        outcome: 'ok',
        durationMs: performance.now() - started,
        attempts: output.$metadata.attempts ?? 1,
        ...target,
      });
      return output;
    } catch (error) {
      const mapped = toAthenaError(operation, error);
      const attempts = (error as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
      this.#onCall?.({ operation, outcome: mapped.kind, durationMs: performance.now() - started, attempts, ...target });
      throw mapped;
    }
  }
}

/** The one place where SDK exceptions become our errors. */
export function toAthenaError(operation: AthenaOperation, error: unknown): AthenaError {
  const name = error instanceof Error ? error.name : 'Unknown';
  const kind: AthenaErrorKind =
    name === 'ResourceNotFoundException' || isWorkGroupNotFound(operation, name, error)
      ? 'not-found'
      : name === 'InvalidRequestException'
        ? 'invalid-request'
        : name === 'TooManyRequestsException' || name === 'ThrottlingException'
          ? 'throttled'
          : name === 'AbortError'
            ? 'aborted'
            : 'unavailable';
  // The message is kept for logs; the GraphQL layer never shows it to clients.
  const detail = error instanceof Error ? error.message : String(error);
  // Athena's reason for refusing a request is about the request, so the GraphQL layer may show it
  // where the caller needs it to fix the call (a calculation refused by a Spark 3.5 session).
  const reason = kind === 'invalid-request' && detail !== '' ? detail : undefined;
  return new AthenaError(kind, operation, `${operation} failed (${name}): ${detail}`, { cause: error, reason });
}

/**
 * Two InvalidRequestExceptions say "no such Spark work group", and read as not found here:
 * - the work-group operations declare no ResourceNotFoundException: Athena answers a missing work
 *   group with "WorkGroup <name> is not found." (as StartQueryExecution does);
 * - a session read on a SQL work group is answered "Workgroup EngineVersion is not Spark.": such
 *   a work group has no sessions, and the gateway shows it as absent. StartSession keeps it as the
 *   invalid request it is: the caller named a work group that cannot run sessions, and Athena's
 *   reason says so (the gateway answers BAD_USER_INPUT with it).
 * Arguments are validated before any call, so a valid name gets no other "invalid" for these reasons.
 */
function isWorkGroupNotFound(operation: AthenaOperation, name: string, error: unknown): boolean {
  if (name !== 'InvalidRequestException' || !(error instanceof Error)) return false;
  return (
    /\bWorkGroup\b.*\bis not found\b/i.test(error.message) ||
    (operation !== 'StartSession' && /\bEngineVersion is not Spark\b/i.test(error.message))
  );
}

function toWorkGroupState(value: string | undefined): WorkGroupState | undefined {
  return (WORK_GROUP_STATES as readonly string[]).includes(value ?? '') ? (value as WorkGroupState) : undefined;
}

function toEngineVersion(version: SdkEngineVersion | undefined): EngineVersion | undefined {
  return (
    version && {
      selectedEngineVersion: version.SelectedEngineVersion,
      effectiveEngineVersion: version.EffectiveEngineVersion,
    }
  );
}

function toSessionState(value: string | undefined): SessionState {
  return (SESSION_STATES as readonly string[]).includes(value ?? '') ? (value as SessionState) : 'FAILED';
}

function toCalculationState(value: string | undefined): CalculationState {
  return (CALCULATION_STATES as readonly string[]).includes(value ?? '') ? (value as CalculationState) : 'FAILED';
}

function toCalculationStatus(status: SdkCalculationStatus | undefined): CalculationStatus {
  return {
    state: toCalculationState(status?.State),
    stateChangeReason: status?.StateChangeReason,
    submissionDateTime: status?.SubmissionDateTime,
    completionDateTime: status?.CompletionDateTime,
  };
}

function toCalculationStatistics(statistics: SdkCalculationStatistics): CalculationStatistics {
  return { dpuExecutionInMillis: statistics.DpuExecutionInMillis, progress: statistics.Progress };
}

function toStatus(status: SdkSessionStatus | undefined): SessionStatus {
  return {
    state: toSessionState(status?.State),
    stateChangeReason: status?.StateChangeReason,
    startDateTime: status?.StartDateTime,
    lastModifiedDateTime: status?.LastModifiedDateTime,
    endDateTime: status?.EndDateTime,
    idleSinceDateTime: status?.IdleSinceDateTime,
  };
}

function toEngineConfiguration(config: SdkEngineConfiguration): EngineConfiguration {
  return {
    coordinatorDpuSize: config.CoordinatorDpuSize,
    maxConcurrentDpus: config.MaxConcurrentDpus,
    defaultExecutorDpuSize: config.DefaultExecutorDpuSize,
    additionalConfigs: config.AdditionalConfigs,
    sparkProperties: config.SparkProperties,
    classifications: config.Classifications?.map((classification) => ({
      name: classification.Name,
      properties: classification.Properties,
    })),
  };
}

function fromEngineConfiguration(config: EngineConfiguration): SdkEngineConfiguration {
  return {
    CoordinatorDpuSize: config.coordinatorDpuSize,
    MaxConcurrentDpus: config.maxConcurrentDpus,
    DefaultExecutorDpuSize: config.defaultExecutorDpuSize,
    AdditionalConfigs: config.additionalConfigs && { ...config.additionalConfigs },
    SparkProperties: config.sparkProperties && { ...config.sparkProperties },
    Classifications: config.classifications?.map((classification) => ({
      Name: classification.name,
      Properties: classification.properties && { ...classification.properties },
    })),
  };
}
