// The one place that reads the environment. Everything is parsed and checked at start-up, so a
// mistake stops the process with a message that names the variable instead of failing later.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export type AthenaMode = 'embedded' | 'endpoint' | 'aws';

export interface AthenaClientSettings {
  mode: AthenaMode;
  /** Set in `endpoint` mode; in `embedded` mode the CLI fills it with the in-process service's URL. */
  endpoint?: string | undefined;
  region: string;
  /** Time to open a TCP connection before the attempt fails. */
  connectTimeoutMs: number;
  /** Time for one attempt's response; the attempt really fails (not just a warning). */
  requestTimeoutMs: number;
  /** Attempts in all, the first included (the SDK's standard retry strategy). */
  maxAttempts: number;
  /** Keep-alive sockets per origin. */
  maxSockets: number;
}

export interface AuthSettings {
  jwtSecret?: string | undefined;
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  disabled: boolean;
}

/** Where traces go; present only when an OTLP endpoint is configured (the standard OTEL_* variables). */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  url: string;
  serviceName: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewayConfig {
  port: number;
  host: string;
  athena: AthenaClientSettings;
  /** Key for the HMAC that protects connection cursors. */
  cursorSecret: Buffer;
  /** Whether CURSOR_SECRET was given (a random one does not survive restarts or span replicas). */
  cursorSecretFromEnv: boolean;
  auth: AuthSettings;
  /** How long fetched status, statistics and list pages may be served to other requests; 0 = no cross-request cache. */
  cacheTtlMs: number;
  subscriptionPollMs: number;
  logLevel: LogLevel;
  /** Whether LOG_LEVEL was set: a terminal gets readable lines only when nobody asked for a level. */
  logLevelFromEnv: boolean;
  /** NODE_ENV=production (`npm run start:prod`): logs stay JSON even on a terminal. */
  production: boolean;
  /** OpenTelemetry traces over OTLP/HTTP; undefined = off, and nothing of OpenTelemetry is loaded. */
  tracing: TracingSettings | undefined;
  /** TRUSTED_DOCUMENTS: a persisted-documents manifest; only its operations run, by id. */
  trustedDocumentsPath: string | undefined;
  /** Overall deadline of one GraphQL operation. */
  operationTimeoutMs: number;
  /** Upstream calls running at once per process; more wait in a bounded queue. */
  upstreamConcurrency: number;
  upstreamQueueLimit: number;
  /** Failed upstream calls in a row (each after its retries) that open the circuit breaker. */
  breakerFailureThreshold: number;
  /** How long an open breaker fails calls at once before one trial call goes through. */
  breakerOpenMs: number;
  /** Interval of the CLI's background readiness probe (one GetSessionStatus); 0 = no probe. */
  readyProbeIntervalMs: number;
  /** Origins allowed by CORS; empty = same-origin only. */
  corsOrigins: string[];
  /** GraphiQL and introspection: on in local modes, off by default against real AWS. */
  graphiql: boolean;
  introspection: boolean;
  /** Grace period for in-flight work on SIGTERM/SIGINT. */
  shutdownGraceMs: number;
  /** Seed for the embedded local service. */
  localSeed: 'demo' | 'none';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const booleanString = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = z.string().refine((value) => {
  try {
    const parsed = new URL(value);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s):// URL');

const environmentSchema = z.object({
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ATHENA_ENDPOINT: z
    .union([z.literal('aws'), url])
    .optional()
    .describe('unset, an http(s):// URL, or the word aws'),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')
    .optional(),
  ATHENA_CONNECT_TIMEOUT_MS: integer(1, 60_000).default(1_000),
  ATHENA_REQUEST_TIMEOUT_MS: integer(1, 120_000).default(5_000),
  ATHENA_MAX_ATTEMPTS: integer(1, 10).default(3),
  ATHENA_MAX_SOCKETS: integer(1, 1_000).default(50),
  CURSOR_SECRET: z.string().min(1).optional(),
  AUTH_JWT_SECRET: z.string().min(1).optional(),
  AUTH_JWKS_URL: url.optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_DISABLED: booleanString.optional(),
  CACHE_TTL_MS: integer(0, 3_600_000).default(1_000),
  SUBSCRIPTION_POLL_MS: integer(100, 3_600_000).default(2_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OPERATION_TIMEOUT_MS: integer(100, 300_000).default(15_000),
  UPSTREAM_CONCURRENCY: integer(1, 10_000).default(64),
  UPSTREAM_QUEUE_LIMIT: integer(0, 100_000).default(1_000),
  BREAKER_FAILURE_THRESHOLD: integer(1, 1_000).default(5),
  BREAKER_OPEN_MS: integer(0, 600_000).default(5_000),
  READY_PROBE_INTERVAL_MS: integer(0, 3_600_000).default(5_000),
  CORS_ORIGINS: z.string().optional(),
  GRAPHIQL: booleanString.optional(),
  INTROSPECTION: booleanString.optional(),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(10_000),
  LOCAL_ATHENA_SEED: z.enum(['demo', 'none']).default('demo'),
  NODE_ENV: z.string().optional(),
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  // The standard OpenTelemetry variables this gateway acts on; the OTLP exporter itself also reads
  // OTEL_EXPORTER_OTLP_HEADERS and the timeout/compression variables.
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('athena-sessions-gateway'),
  OTEL_SDK_DISABLED: booleanString.optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
});

type Environment = Readonly<Record<string, string | undefined>>;

/** Parses the environment once. Throws a ConfigError that names every offending variable. */
export function loadConfig(environment: Environment): GatewayConfig {
  // An empty variable means "unset" (the usual shell and container convention).
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const env = parsed.data;
  const mode: AthenaMode = env.ATHENA_ENDPOINT === undefined ? 'embedded' : env.ATHENA_ENDPOINT === 'aws' ? 'aws' : 'endpoint';

  if (mode === 'aws' && env.AWS_REGION === undefined) {
    throw new ConfigError('Invalid configuration:\n  AWS_REGION: required when ATHENA_ENDPOINT=aws');
  }
  if (env.AUTH_JWT_SECRET !== undefined && env.AUTH_JWKS_URL !== undefined) {
    throw new ConfigError('Invalid configuration:\n  AUTH_JWT_SECRET, AUTH_JWKS_URL: set one of them, not both');
  }
  const authConfigured = env.AUTH_JWT_SECRET !== undefined || env.AUTH_JWKS_URL !== undefined;
  if (authConfigured && env.AUTH_DISABLED === true) {
    throw new ConfigError('Invalid configuration:\n  AUTH_DISABLED: is true while AUTH_JWT_SECRET or AUTH_JWKS_URL is set; choose one');
  }
  if (mode === 'aws' && !authConfigured && env.AUTH_DISABLED !== true) {
    throw new ConfigError(
      'Invalid configuration:\n  AUTH_JWT_SECRET / AUTH_JWKS_URL: with ATHENA_ENDPOINT=aws the gateway holds real AWS credentials; ' +
        'configure JWT auth, or set AUTH_DISABLED=true to run it open on purpose',
    );
  }

  const local = mode !== 'aws';
  return {
    port: env.PORT,
    host: env.HOST,
    athena: {
      mode,
      endpoint: mode === 'endpoint' ? env.ATHENA_ENDPOINT : undefined,
      region: env.AWS_REGION ?? 'us-east-1',
      connectTimeoutMs: env.ATHENA_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: env.ATHENA_REQUEST_TIMEOUT_MS,
      maxAttempts: env.ATHENA_MAX_ATTEMPTS,
      maxSockets: env.ATHENA_MAX_SOCKETS,
    },
    cursorSecret: env.CURSOR_SECRET !== undefined ? Buffer.from(env.CURSOR_SECRET, 'utf8') : randomBytes(32),
    cursorSecretFromEnv: env.CURSOR_SECRET !== undefined,
    auth: {
      jwtSecret: env.AUTH_JWT_SECRET,
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_JWT_ISSUER,
      audience: env.AUTH_JWT_AUDIENCE,
      disabled: !authConfigured,
    },
    cacheTtlMs: env.CACHE_TTL_MS,
    subscriptionPollMs: env.SUBSCRIPTION_POLL_MS,
    logLevel: env.LOG_LEVEL,
    logLevelFromEnv: present.LOG_LEVEL !== undefined,
    production: env.NODE_ENV === 'production',
    tracing: tracingSettings(env),
    trustedDocumentsPath: env.TRUSTED_DOCUMENTS,
    operationTimeoutMs: env.OPERATION_TIMEOUT_MS,
    upstreamConcurrency: env.UPSTREAM_CONCURRENCY,
    upstreamQueueLimit: env.UPSTREAM_QUEUE_LIMIT,
    breakerFailureThreshold: env.BREAKER_FAILURE_THRESHOLD,
    breakerOpenMs: env.BREAKER_OPEN_MS,
    readyProbeIntervalMs: env.READY_PROBE_INTERVAL_MS,
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
    graphiql: env.GRAPHIQL ?? local,
    introspection: env.INTROSPECTION ?? local,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    localSeed: env.LOCAL_ATHENA_SEED,
  };
}

function tracingSettings(env: z.infer<typeof environmentSchema>): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED === true || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  return url === undefined ? undefined : { url, serviceName: env.OTEL_SERVICE_NAME };
}

/** A config for tests and embedding: the defaults of local mode, with overrides. */
export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...loadConfig({ CURSOR_SECRET: 'test-cursor-secret-0123456789', LOG_LEVEL: 'silent' }), ...overrides };
}
