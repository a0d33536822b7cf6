// The one place that reads the environment. Everything is parsed and checked at start-up, so a
// mistake stops the process with a message that names the variable instead of failing later.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HTTP_HEADERS_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS } from './security/limits.js';

/**
 * Shortest CURSOR_SECRET and, against real AWS, AUTH_JWT_SECRET: 32 bytes, the 256 bits RFC 7518
 * (section 3.2) requires of an HS256 key. A shorter key can be brute-forced offline from one
 * cursor or one token, and then cursors or tokens forged.
 */
export const MIN_SECRET_BYTES = 32;

export type AthenaMode = 'embedded' | 'endpoint' | 'aws';

export interface AthenaClientSettings {
  mode: AthenaMode;
  /**
   * The embedded service, or an explicit loopback URL (127.0.0.0/8, localhost, [::1]): the local
   * rules apply (auth may be off, GraphiQL and introspection on). Any other endpoint is taken for
   * real Athena, reached with real credentials, and follows the `aws` rules.
   */
  local: boolean;
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
  /** Apollo's ftv1 inline trace for routers that ask (APOLLO_INLINE_TRACE): on locally, off with aws unless set. */
  inlineTrace: boolean;
  /** Grace period for in-flight work on SIGTERM/SIGINT. */
  shutdownGraceMs: number;
  /** Seed for the embedded local service. */
  localSeed: 'demo' | 'none';
  /** Replicas sharing one Redis share their Athena work; unset = everything in this process. */
  fleet: FleetSettings;
  /** Timeouts of the HTTP server (see http/http-server.ts and the reasons in security/limits.ts). */
  http: HttpServerTimeouts;
}

export interface HttpServerTimeouts {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** Time a keep-alive connection may sit between requests. */
  idleTimeoutMs: number;
}

export interface FleetSettings {
  /** REDIS_URL (may hold a password: log `redactRedisUrl(url)`, never the URL itself). */
  redisUrl?: string | undefined;
  /** Namespace of every key and channel, so deployments can share one Redis. */
  keyPrefix: string;
  /** Upstream calls per second for the whole fleet (per process without Redis); unset = no budget. */
  rateLimitPerSecond?: number | undefined;
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

const redisUrl = z.string().refine((value) => {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== '';
  } catch {
    return false;
  }
  // The value is never echoed: it may hold a password.
}, 'must be a redis:// or rediss:// URL (redis://[user:password@]host[:port][/db])');

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
  CURSOR_SECRET: z
    .string()
    .refine(
      (value) => Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES,
      `must be at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 48\`)`,
    )
    .optional(),
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
  CORS_ORIGINS: z.string().superRefine(checkCorsOrigins).optional(),
  GRAPHIQL: booleanString.optional(),
  INTROSPECTION: booleanString.optional(),
  APOLLO_INLINE_TRACE: booleanString.optional(),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(10_000),
  LOCAL_ATHENA_SEED: z.enum(['demo', 'none']).default('demo'),
  REDIS_URL: redisUrl.optional(),
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default('athena-gateway:'),
  ATHENA_RATE_LIMIT: z.coerce.number().positive().max(100_000).optional(),
  HTTP_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(HTTP_HEADERS_TIMEOUT_MS),
  HTTP_REQUEST_TIMEOUT_MS: integer(100, 600_000).default(HTTP_REQUEST_TIMEOUT_MS),
  HTTP_IDLE_TIMEOUT_MS: integer(100, 600_000).default(HTTP_IDLE_TIMEOUT_MS),
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

/**
 * A comma-separated list of origins (`scheme://host[:port]`, as a browser sends in `Origin`), or
 * `*` alone. Anything else (a path, another scheme, a typo) would never match an Origin header,
 * so it would silently allow nothing, or be mistaken for a rule it is not.
 */
function checkCorsOrigins(value: string, context: z.RefinementCtx): void {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.includes('*')) {
    if (entries.length > 1)
      context.addIssue({ code: 'custom', message: '`*` (any origin) must stand alone, not beside other origins' });
    return;
  }
  for (const entry of entries) {
    if (!isOrigin(entry)) {
      context.addIssue({
        code: 'custom',
        message: `"${entry.slice(0, 100)}" is not an origin: use scheme://host[:port] with http or https and nothing after it, or * alone`,
      });
    }
  }
}

function isOrigin(entry: string): boolean {
  if (!/^https?:\/\//i.test(entry)) return false;
  // Only the host and port may follow the scheme (a trailing `/` is tolerated: browsers never send one, normalizeOrigin drops it).
  if (/[/?#@\\]/.test(entry.replace(/^https?:\/\//i, '').replace(/\/$/, ''))) return false;
  try {
    return new URL(entry).pathname === '/';
  } catch {
    return false;
  }
}

/** An explicit loopback endpoint: the local service or a tool on this machine, never real AWS. */
export function isLoopbackUrl(value: string): boolean {
  const { hostname } = new URL(value);
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Parses the environment once. Throws a ConfigError that names every offending variable. */
export function loadConfig(environment: Environment): GatewayConfig {
  // An empty variable means "unset" (the usual shell and container convention).
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const env = parsed.data;
  const mode: AthenaMode =
    env.ATHENA_ENDPOINT === undefined ? 'embedded' : env.ATHENA_ENDPOINT === 'aws' ? 'aws' : 'endpoint';
  const local = mode === 'embedded' || (mode === 'endpoint' && isLoopbackUrl(env.ATHENA_ENDPOINT!));
  const realAthena =
    mode === 'aws'
      ? 'ATHENA_ENDPOINT=aws'
      : `ATHENA_ENDPOINT=${env.ATHENA_ENDPOINT} (not a loopback address, so taken for real Athena)`;

  if (mode === 'aws' && env.AWS_REGION === undefined) {
    throw new ConfigError('Invalid configuration:\n  AWS_REGION: required when ATHENA_ENDPOINT=aws');
  }
  if (env.AUTH_JWT_SECRET !== undefined && env.AUTH_JWKS_URL !== undefined) {
    throw new ConfigError('Invalid configuration:\n  AUTH_JWT_SECRET, AUTH_JWKS_URL: set one of them, not both');
  }
  const authConfigured = env.AUTH_JWT_SECRET !== undefined || env.AUTH_JWKS_URL !== undefined;
  if (authConfigured && env.AUTH_DISABLED === true) {
    throw new ConfigError(
      'Invalid configuration:\n  AUTH_DISABLED: is true while AUTH_JWT_SECRET or AUTH_JWKS_URL is set; choose one',
    );
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      'Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    );
  }
  if (!local && !authConfigured && env.AUTH_DISABLED !== true) {
    throw new ConfigError(
      `Invalid configuration:\n  AUTH_JWT_SECRET / AUTH_JWKS_URL: with ${realAthena} the gateway holds real AWS credentials; ` +
        'configure JWT auth, or set AUTH_DISABLED=true to run it open on purpose',
    );
  }
  if (!local && env.AUTH_JWKS_URL !== undefined && new URL(env.AUTH_JWKS_URL).protocol !== 'https:') {
    throw new ConfigError(
      `Invalid configuration:\n  AUTH_JWKS_URL: must be https:// with ${realAthena}: keys fetched over plain http can be replaced on the way, and then any token accepted`,
    );
  }
  if (
    !local &&
    env.AUTH_JWT_SECRET !== undefined &&
    Buffer.byteLength(env.AUTH_JWT_SECRET, 'utf8') < MIN_SECRET_BYTES
  ) {
    throw new ConfigError(
      `Invalid configuration:\n  AUTH_JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes with ${realAthena}: a shorter HS256 key can be brute-forced from one token`,
    );
  }

  if (env.REDIS_URL !== undefined && env.CURSOR_SECRET === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  CURSOR_SECRET: required when REDIS_URL is set; replicas share one API, so a cursor issued by one replica ' +
        'must be accepted by every other, which needs the same secret in all of them',
    );
  }

  return {
    port: env.PORT,
    host: env.HOST,
    athena: {
      mode,
      local,
      endpoint: mode === 'endpoint' ? env.ATHENA_ENDPOINT : undefined,
      region: env.AWS_REGION ?? 'us-east-1',
      connectTimeoutMs: env.ATHENA_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: env.ATHENA_REQUEST_TIMEOUT_MS,
      maxAttempts: env.ATHENA_MAX_ATTEMPTS,
      maxSockets: env.ATHENA_MAX_SOCKETS,
    },
    cursorSecret: env.CURSOR_SECRET !== undefined ? Buffer.from(env.CURSOR_SECRET, 'utf8') : randomBytes(32),
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
    inlineTrace: env.APOLLO_INLINE_TRACE ?? local,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    localSeed: env.LOCAL_ATHENA_SEED,
    fleet: { redisUrl: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, rateLimitPerSecond: env.ATHENA_RATE_LIMIT },
    http: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: env.HTTP_IDLE_TIMEOUT_MS,
    },
  };
}

/** A Redis URL fit for a log line or a metric: the password replaced. */
export function redactRedisUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

function tracingSettings(env: z.infer<typeof environmentSchema>): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED === true || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
      ? undefined
      : `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  return url === undefined ? undefined : { url, serviceName: env.OTEL_SERVICE_NAME };
}
