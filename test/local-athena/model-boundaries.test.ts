import type { AthenaClient } from '@aws-sdk/client-athena';
import {
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
  StartCalculationExecutionCommand,
  StartSessionCommand,
  StopCalculationExecutionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationName, ShapeName } from '../../src/athena-model/index.js';
import { OPERATIONS, patternRegExp, shapeOf } from '../../src/athena-model/index.js';
import { ManualClock } from '../../src/local-athena/clock.js';
import { ATHENA_OPERATION_NAMES } from '../../src/local-athena/operation-names.js';
import type { LocalHarness } from './support.js';
import { startHarness } from './support.js';

// Walks every constraint of every member of every operation the service implements, at its
// boundaries (min-1, min, max, max+1; pattern in and out; enum in and out; required absent),
// driven by AWS's model in src/athena-model and sent through the real SDK over HTTP. The
// expectations are the model's numbers, not the service's code, so the same suite could run
// against the real service (dynalite-style): requests name resources that do not exist, so a
// valid request fails only with a not-found error and changes nothing.

type Send = (client: AthenaClient, input: Record<string, unknown>) => Promise<unknown>;

const SENDERS: Partial<Record<OperationName, Send>> = {
  StartSession: (client, input) => client.send(new StartSessionCommand(input as never)),
  GetSession: (client, input) => client.send(new GetSessionCommand(input as never)),
  GetSessionStatus: (client, input) => client.send(new GetSessionStatusCommand(input as never)),
  ListSessions: (client, input) => client.send(new ListSessionsCommand(input as never)),
  TerminateSession: (client, input) => client.send(new TerminateSessionCommand(input as never)),
  StartCalculationExecution: (client, input) => client.send(new StartCalculationExecutionCommand(input as never)),
  GetCalculationExecution: (client, input) => client.send(new GetCalculationExecutionCommand(input as never)),
  ListWorkGroups: (client, input) => client.send(new ListWorkGroupsCommand(input as never)),
  GetWorkGroup: (client, input) => client.send(new GetWorkGroupCommand(input as never)),
  GetCalculationExecutionStatus: (client, input) =>
    client.send(new GetCalculationExecutionStatusCommand(input as never)),
  GetCalculationExecutionCode: (client, input) => client.send(new GetCalculationExecutionCodeCommand(input as never)),
  ListCalculationExecutions: (client, input) => client.send(new ListCalculationExecutionsCommand(input as never)),
  StopCalculationExecution: (client, input) => client.send(new StopCalculationExecutionCommand(input as never)),
  GetSessionEndpoint: (client, input) => client.send(new GetSessionEndpointCommand(input as never)),
};

/** A valid request for each operation, naming nothing that exists. */
const BASE_INPUTS: Partial<Record<OperationName, Record<string, unknown>>> = {
  StartSession: { WorkGroup: 'no-such-work-group', EngineConfiguration: {} },
  GetSession: { SessionId: 'no-such-session' },
  GetSessionStatus: { SessionId: 'no-such-session' },
  ListSessions: { WorkGroup: 'no-such-work-group' },
  TerminateSession: { SessionId: 'no-such-session' },
  StartCalculationExecution: { SessionId: 'no-such-session', CodeBlock: 'print(1)' },
  GetCalculationExecution: { CalculationExecutionId: 'no-such-calculation' },
  ListWorkGroups: {},
  GetWorkGroup: { WorkGroup: 'no-such-work-group' },
  GetCalculationExecutionStatus: { CalculationExecutionId: 'no-such-calculation' },
  GetCalculationExecutionCode: { CalculationExecutionId: 'no-such-calculation' },
  ListCalculationExecutions: { SessionId: 'no-such-session' },
  StopCalculationExecution: { CalculationExecutionId: 'no-such-calculation' },
  GetSessionEndpoint: { SessionId: 'no-such-session' },
};

/** A value of `length` code points that matches the shape's pattern, or undefined if none can. */
const PATTERN_FILLERS: Partial<Record<ShapeName, (length: number) => string | undefined>> = {
  RoleArn: (length) => fill('arn:aws:iam::123456789012:role/', 'r', length),
  KmsKey: (length) => fill('alias/', 'k', length),
  S3OutputLocation: (length) => fill('s3://bucket/', 'k', length),
};

/** A value of a valid length that breaks the shape's pattern. */
const PATTERN_BREAKERS: Partial<Record<ShapeName, string>> = {
  WorkGroupName: 'has a space',
  RoleArn: 'arn:aws:iam::123:role/too-short-account',
  KmsKey: 'not a key!',
  LogGroupName: 'bad:group',
  LogStreamNamePrefix: 'bad:prefix*',
  S3OutputLocation: 'http://bucket/key',
  KeyString: 'new\nline',
};

function fill(prefix: string, filler: string, length: number): string | undefined {
  return length < prefix.length + 1 ? undefined : prefix + filler.repeat(length - prefix.length);
}

function stringOfLength(shapeName: ShapeName, length: number): string | undefined {
  const shape = shapeOf(shapeName);
  if (shape.type !== 'string' || length < 0) return undefined;
  const value = PATTERN_FILLERS[shapeName]?.(length) ?? 'x'.repeat(length);
  if (shape.pattern !== undefined && !patternRegExp(shape.pattern).test(value)) return undefined;
  return value;
}

/** A valid value of a shape: required members filled, scalars at their smallest valid size. */
function validSample(shapeName: ShapeName): unknown {
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'string':
      if (shape.enum) return shape.enum[0];
      for (let length = Math.max(shape.min ?? 1, 1); length <= (shape.max ?? 64); length += 1) {
        const value = stringOfLength(shapeName, length);
        if (value !== undefined) return value;
      }
      throw new Error(`no sample for ${shapeName}`);
    case 'integer':
    case 'long':
      return shape.min ?? 1;
    case 'boolean':
      return true;
    case 'timestamp':
      return 1_700_000_000;
    case 'structure':
      return Object.fromEntries(
        shape.required.map((name) => [name, validSample(shape.members[name]?.shape as ShapeName)]),
      );
    case 'list':
      return [];
    case 'map':
      return {};
  }
}

interface BoundaryCase {
  operation: OperationName;
  name: string;
  input: Record<string, unknown>;
  /** undefined: the model accepts it. Otherwise the member path the refusal must name. */
  refusedAt: string | undefined;
}

type Setter = (value: unknown) => Record<string, unknown>;

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** The cases of one member: `set` builds the whole request with the member set to a value. */
function memberCases(
  operation: OperationName,
  shapeName: ShapeName,
  path: string,
  set: Setter,
  required: boolean,
): BoundaryCase[] {
  const shape = shapeOf(shapeName);
  const cases: BoundaryCase[] = [];
  const add = (name: string, value: unknown, refused: boolean) =>
    cases.push({ operation, name: `${path} ${name}`, input: set(value), refusedAt: refused ? path : undefined });
  if (required) add('absent', undefined, true);
  switch (shape.type) {
    case 'string': {
      if (shape.enum) {
        for (const value of shape.enum) add(`= ${value}`, value, false);
        add('outside the enum', 'NOT_IN_THE_ENUM', true);
        break;
      }
      const lengths: [number, boolean][] = [];
      if (shape.min !== undefined) lengths.push([shape.min - 1, true], [shape.min, false]);
      if (shape.max !== undefined) lengths.push([shape.max, false], [shape.max + 1, true]);
      for (const [length, refused] of lengths) {
        if (length < 0) continue;
        const value = refused
          ? (PATTERN_FILLERS[shapeName]?.(length) ?? 'x'.repeat(length))
          : stringOfLength(shapeName, length);
        if (value !== undefined) add(`of length ${length}`, value, refused);
      }
      if (shape.pattern !== undefined) {
        // A pattern with a length in it ({1,128}) is its own boundary.
        const bounded = /\{(\d+),(\d+)\}$/.exec(shape.pattern);
        if (bounded && shape.min === undefined && shape.max === undefined) {
          const low = Number(bounded[1]);
          const high = Number(bounded[2]);
          if (low > 0) add(`of length ${low - 1} (pattern)`, 'w'.repeat(low - 1), true);
          add(`of length ${low} (pattern)`, 'w'.repeat(Math.max(low, 1)), false);
          add(`of length ${high} (pattern)`, 'w'.repeat(high), false);
          add(`of length ${high + 1} (pattern)`, 'w'.repeat(high + 1), true);
        }
        const breaker = PATTERN_BREAKERS[shapeName];
        if (breaker === undefined) throw new Error(`no pattern breaker for ${shapeName}`);
        add('outside the pattern', breaker, true);
        add('inside the pattern', validSample(shapeName), false);
      }
      add('of the wrong type', 42, true);
      break;
    }
    case 'integer':
    case 'long':
      if (shape.min !== undefined) {
        add(`= ${shape.min - 1}`, shape.min - 1, true);
        add(`= ${shape.min}`, shape.min, false);
      }
      if (shape.max !== undefined) {
        add(`= ${shape.max}`, shape.max, false);
        add(`= ${shape.max + 1}`, shape.max + 1, true);
      }
      break;
    case 'boolean':
      add('= true', true, false);
      add('= false', false, false);
      break;
    case 'structure': {
      const base = validSample(shapeName) as Record<string, unknown>;
      add('with its required members only', base, false);
      for (const [name, ref] of Object.entries(shape.members)) {
        cases.push(
          ...memberCases(
            operation,
            ref.shape as ShapeName,
            `${path}.${lowerFirst(name)}`,
            (value) => set(value === undefined ? omit(base, name) : { ...base, [name]: value }),
            shape.required.includes(name),
          ),
        );
      }
      break;
    }
    case 'list': {
      add('empty', [], shape.min !== undefined && shape.min > 0);
      const element = validSample(shape.member.shape as ShapeName);
      cases.push(
        ...memberCases(
          operation,
          shape.member.shape as ShapeName,
          `${path}.1.member`,
          (value) => set([value]),
          false,
        ).filter((boundary) => boundary.name !== `${path}.1.member absent`),
      );
      add('with one element', [element], false);
      break;
    }
    case 'map': {
      const keyShape = shape.key.shape as ShapeName;
      const valueShape = shape.value.shape as ShapeName;
      const sampleValue = validSample(valueShape);
      for (const boundary of memberCases(
        operation,
        keyShape,
        path,
        (key) => set({ [String(key)]: sampleValue }),
        false,
      )) {
        if (boundary.name.endsWith('of the wrong type')) continue; // JSON object keys are always strings
        cases.push({ ...boundary, name: boundary.name.replace(path, `${path} key`) });
      }
      if (shapeOf(valueShape).type === 'string') {
        for (const boundary of memberCases(operation, valueShape, path, (value) => set({ key: value }), false)) {
          cases.push({ ...boundary, name: boundary.name.replace(path, `${path} value`) });
        }
      }
      break;
    }
    default:
      break;
  }
  return cases;
}

function omit(object: Record<string, unknown>, member: string): Record<string, unknown> {
  const copy = { ...object };
  delete copy[member];
  return copy;
}

const IMPLEMENTED: readonly OperationName[] = ATHENA_OPERATION_NAMES;

const CASES: BoundaryCase[] = IMPLEMENTED.flatMap((operation) => {
  const base = BASE_INPUTS[operation];
  if (!base) throw new Error(`no base input for ${operation}: add one to this suite`);
  const inputShape = shapeOf(OPERATIONS[operation].input as ShapeName);
  if (inputShape.type !== 'structure') return [];
  const valid: BoundaryCase = { operation, name: 'the base request', input: base, refusedAt: undefined };
  return [
    valid,
    ...Object.entries(inputShape.members).flatMap(([name, ref]) =>
      memberCases(
        operation,
        ref.shape as ShapeName,
        lowerFirst(name),
        (value) => (value === undefined ? omit(base, name) : { ...base, [name]: value }),
        inputShape.required.includes(name),
      ),
    ),
  ];
});

const VALIDATION_MESSAGE = /^\d+ validation errors? detected: /;

describe('every constraint of the model, at its boundaries, through the SDK', () => {
  let harness: LocalHarness;

  beforeAll(async () => {
    harness = await startHarness({ clock: new ManualClock() });
  });
  afterAll(() => harness.close());

  it('covers every implemented operation', () => {
    for (const operation of IMPLEMENTED) expect(SENDERS[operation], operation).toBeDefined();
    expect(CASES.length).toBeGreaterThan(100);
  });

  it.each(CASES.map((boundary) => [`${boundary.operation}: ${boundary.name}`, boundary] as const))(
    '%s',
    async (_name, boundary) => {
      const send = SENDERS[boundary.operation] as Send;
      let error: (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
      try {
        await send(harness.client, boundary.input);
      } catch (caught) {
        error = caught as Error;
      }
      if (boundary.refusedAt === undefined) {
        // Accepted by the model: any error is about the (missing) resource, never the request's shape.
        if (error) expect(error.message).not.toMatch(VALIDATION_MESSAGE);
      } else {
        expect(error?.name).toBe('InvalidRequestException');
        expect(error?.$metadata?.httpStatusCode).toBe(400);
        expect(error?.message).toMatch(VALIDATION_MESSAGE);
        expect(error?.message).toContain(`at '${boundary.refusedAt}'`);
      }
    },
  );
});
