import { z } from 'zod';

import type { CallCounter } from './call-counter.js';
import type { FaultInjector, FaultSpec, FaultTarget } from './fault-injector.js';
import { INJECTED_ERRORS } from './fault-injector.js';
import { ATHENA_OPERATION_NAMES } from './operation-names.js';

/**
 * The control API under /_local/, so that another process (a benchmark, a browser test) can
 * configure faults and read call counts of a running service. Plain JSON, no auth: the service
 * is a local test double. Control requests are not counted as Athena calls.
 *
 *   GET    /_local/health             {"status":"ok"}
 *   GET    /_local/calls              {"counts":{"GetSession":3},"total":3}
 *   POST   /_local/calls/reset        counts are zeroed; answers the (empty) counts
 *   GET    /_local/faults             {"globalLatencyMs":0,"faults":{"GetSession":{...}}}
 *   POST   /_local/faults             {"operation":"GetSession","latencyMs":30,"error":"drop","rate":0.5,"count":3}
 *                                     (operation "*" or absent: every operation); replaces that target's spec
 *   DELETE /_local/faults[?operation=GetSession]   clears one target, or all (the global latency stays)
 *   PUT    /_local/latency            {"latencyMs":30}: latency added to every call (POST works too)
 */

export interface ControlResponse {
  status: number;
  body: unknown;
}

export interface ControlDependencies {
  faults: FaultInjector;
  calls: CallCounter;
}

const faultTargetSchema = z.enum(['*', ...ATHENA_OPERATION_NAMES]);

const faultRequestSchema = z
  .object({
    operation: faultTargetSchema.optional(),
    latencyMs: z.number().finite().min(0).optional(),
    error: z.enum(INJECTED_ERRORS).optional(),
    rate: z.number().min(0).max(1).optional(),
    count: z.number().int().min(0).optional(),
    message: z.string().max(1024).optional(),
  })
  .strict();

const latencyRequestSchema = z.object({ latencyMs: z.number().finite().min(0) }).strict();

function badRequest(message: string): ControlResponse {
  return { status: 400, body: { error: message } };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: text.trim() === '' ? {} : (JSON.parse(text) as unknown) };
  } catch {
    return { ok: false };
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

function callsBody(calls: CallCounter): unknown {
  return { counts: calls.counts(), total: calls.total() };
}

export function handleControlRequest(
  method: string,
  url: URL,
  bodyText: string,
  { faults, calls }: ControlDependencies,
): ControlResponse {
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_local/health':
      return { status: 200, body: { status: 'ok' } };
    case 'GET /_local/calls':
      return { status: 200, body: callsBody(calls) };
    case 'POST /_local/calls/reset':
      calls.reset();
      return { status: 200, body: callsBody(calls) };
    case 'GET /_local/faults':
      return { status: 200, body: faults.snapshot() };
    case 'POST /_local/faults': {
      const json = parseJson(bodyText);
      if (!json.ok) return badRequest('The body is not valid JSON');
      const parsed = faultRequestSchema.safeParse(json.value);
      if (!parsed.success) return badRequest(describeIssues(parsed.error));
      const { operation, ...spec } = parsed.data;
      faults.set((operation ?? '*') as FaultTarget, spec satisfies FaultSpec);
      return { status: 200, body: faults.snapshot() };
    }
    case 'DELETE /_local/faults': {
      const operation = url.searchParams.get('operation');
      if (operation === null) {
        faults.clear();
      } else {
        const target = faultTargetSchema.safeParse(operation);
        if (!target.success) return badRequest(`Unknown operation ${operation}`);
        faults.clear(target.data);
      }
      return { status: 200, body: faults.snapshot() };
    }
    case 'PUT /_local/latency':
    case 'POST /_local/latency': {
      const json = parseJson(bodyText);
      if (!json.ok) return badRequest('The body is not valid JSON');
      const parsed = latencyRequestSchema.safeParse(json.value);
      if (!parsed.success) return badRequest(describeIssues(parsed.error));
      faults.setGlobalLatency(parsed.data.latencyMs);
      return { status: 200, body: faults.snapshot() };
    }
    default:
      return { status: 404, body: { error: `No control endpoint ${route}` } };
  }
}
