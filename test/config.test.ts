import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactRedisUrl } from '../src/config.js';
import { HTTP_HEADERS_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS } from '../src/security/limits.js';

/** 32 bytes: the shortest secret accepted where a secret must resist brute force. */
const LONG_SECRET = 'a-secret-of-thirty-two-bytes-xyz';

describe('loadConfig', () => {
  it('defaults to the embedded local service on port 4000 with a random cursor secret', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.athena).toMatchObject({ mode: 'embedded', region: 'us-east-1' });
    expect(config.cursorSecret.length).toBe(32);
    expect(config.auth.disabled).toBe(true);
    expect(config.graphiql).toBe(true);
    expect(config.subscriptionPollMs).toBe(2000);
  });

  it('an http(s) URL selects endpoint mode; the word aws the real endpoint', () => {
    expect(loadConfig({ ATHENA_ENDPOINT: 'http://127.0.0.1:4566' }).athena).toMatchObject({
      mode: 'endpoint',
      endpoint: 'http://127.0.0.1:4566',
    });
    const aws = loadConfig({ ATHENA_ENDPOINT: 'aws', AWS_REGION: 'eu-west-1', AUTH_JWT_SECRET: LONG_SECRET });
    expect(aws.athena).toMatchObject({ mode: 'aws', region: 'eu-west-1', endpoint: undefined });
    expect(aws.graphiql).toBe(false);
    expect(aws.introspection).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ATHENA_ENDPOINT: 'ftp://example' }, 'ATHENA_ENDPOINT'],
    [{ ATHENA_ENDPOINT: 'localhost:4566' }, 'ATHENA_ENDPOINT'],
    [{ AWS_REGION: 'mars' }, 'AWS_REGION'],
    [{ CACHE_TTL_MS: '-1' }, 'CACHE_TTL_MS'],
    [{ SUBSCRIPTION_POLL_MS: 'soon' }, 'SUBSCRIPTION_POLL_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AUTH_DISABLED: 'yes please' }, 'AUTH_DISABLED'],
    [{ AUTH_JWKS_URL: 'not a url' }, 'AUTH_JWKS_URL'],
    [{ ATHENA_ENDPOINT: 'aws', AUTH_DISABLED: 'true' }, 'AWS_REGION'],
    [{ ATHENA_ENDPOINT: 'aws', AWS_REGION: 'us-east-1' }, 'AUTH_JWT_SECRET'],
    [{ AUTH_JWT_SECRET: 's', AUTH_JWKS_URL: 'https://example.com/jwks.json' }, 'AUTH_JWKS_URL'],
  ])('%j fails fast naming %s', (environment, variable) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(variable);
  });

  it('with ATHENA_ENDPOINT=aws, AUTH_DISABLED=true runs open on purpose', () => {
    expect(loadConfig({ ATHENA_ENDPOINT: 'aws', AWS_REGION: 'us-east-1', AUTH_DISABLED: 'true' }).auth.disabled).toBe(
      true,
    );
  });

  it('CACHE_TTL_MS=0 is allowed and means no cross-request cache', () => {
    expect(loadConfig({ CACHE_TTL_MS: '0' }).cacheTtlMs).toBe(0);
  });

  describe('the fleet (REDIS_URL, REDIS_KEY_PREFIX, ATHENA_RATE_LIMIT)', () => {
    const secret = 'a-cursor-secret-of-at-least-32-bytes!!';

    it('unset: one process, no Redis, no budget', () => {
      expect(loadConfig({}).fleet).toEqual({
        redisUrl: undefined,
        keyPrefix: 'athena-gateway:',
        rateLimitPerSecond: undefined,
      });
    });

    it('redis:// and rediss:// URLs with a user and password are accepted, with a prefix and a budget', () => {
      const config = loadConfig({
        REDIS_URL: 'rediss://app:s3cret@redis.internal:6380/2',
        CURSOR_SECRET: secret,
        REDIS_KEY_PREFIX: 'blue:',
        ATHENA_RATE_LIMIT: '20',
      });
      expect(config.fleet).toEqual({
        redisUrl: 'rediss://app:s3cret@redis.internal:6380/2',
        keyPrefix: 'blue:',
        rateLimitPerSecond: 20,
      });
      expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', CURSOR_SECRET: secret }).fleet.redisUrl).toBe(
        'redis://127.0.0.1:6379',
      );
    });

    it('REDIS_URL without CURSOR_SECRET refuses to start and says why', () => {
      expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(ConfigError);
      expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(
        /CURSOR_SECRET: required when REDIS_URL is set.*every other/,
      );
    });

    it.each([
      [{ REDIS_URL: 'http://user:hunter2@redis:6379', CURSOR_SECRET: secret }, 'REDIS_URL'],
      [{ REDIS_URL: 'redis:hunter2', CURSOR_SECRET: secret }, 'REDIS_URL'],
      [{ ATHENA_RATE_LIMIT: '0' }, 'ATHENA_RATE_LIMIT'],
      [{ ATHENA_RATE_LIMIT: 'lots' }, 'ATHENA_RATE_LIMIT'],
    ])('%j fails naming %s, never echoing the password', (environment, variable) => {
      expect(() => loadConfig(environment)).toThrow(variable);
      try {
        loadConfig(environment);
      } catch (error) {
        expect(String((error as Error).message)).not.toContain('hunter2');
      }
    });

    it('redactRedisUrl hides the password and keeps what helps an operator', () => {
      expect(redactRedisUrl('rediss://app:s3cret@redis.internal:6380/2')).toBe(
        'rediss://app:***@redis.internal:6380/2',
      );
      expect(redactRedisUrl('redis://:s3cret@10.0.0.5:6379')).toBe('redis://:***@10.0.0.5:6379');
      expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    });
  });
});

describe('real Athena, wherever its endpoint is given, follows the aws rules', () => {
  const REAL = [
    'aws',
    'https://athena.us-east-1.amazonaws.com',
    'https://vpce-0abc-athena.us-east-1.vpce.amazonaws.com',
    'http://10.0.0.5:4566',
    'http://127.0.0.1.nip.io:4566',
  ];
  const region = (endpoint: string) => (endpoint === 'aws' ? { AWS_REGION: 'us-east-1' } : {});

  it.each(REAL)(
    'ATHENA_ENDPOINT=%s without auth refuses to start, naming the variables and the way out',
    (endpoint) => {
      expect(() => loadConfig({ ATHENA_ENDPOINT: endpoint, ...region(endpoint) })).toThrow(
        /AUTH_JWT_SECRET \/ AUTH_JWKS_URL.*real AWS credentials.*AUTH_DISABLED=true/,
      );
    },
  );

  it.each(REAL)(
    'ATHENA_ENDPOINT=%s: AUTH_DISABLED=true runs open on purpose; GraphiQL and introspection are off by default',
    (endpoint) => {
      const config = loadConfig({ ATHENA_ENDPOINT: endpoint, ...region(endpoint), AUTH_DISABLED: 'true' });
      expect(config.auth.disabled).toBe(true);
      expect(config.athena.local).toBe(false);
      expect(config.graphiql).toBe(false);
      expect(config.introspection).toBe(false);
    },
  );

  it.each(REAL)(
    'ATHENA_ENDPOINT=%s: AUTH_JWKS_URL over plain http and an HS256 secret under 32 bytes are refused',
    (endpoint) => {
      expect(() =>
        loadConfig({
          ATHENA_ENDPOINT: endpoint,
          ...region(endpoint),
          AUTH_JWKS_URL: 'http://idp.example.com/jwks.json',
        }),
      ).toThrow(/AUTH_JWKS_URL: must be https/);
      expect(() =>
        loadConfig({ ATHENA_ENDPOINT: endpoint, ...region(endpoint), AUTH_JWT_SECRET: 'a'.repeat(31) }),
      ).toThrow(/AUTH_JWT_SECRET: must be at least 32 bytes/);
      expect(
        loadConfig({
          ATHENA_ENDPOINT: endpoint,
          ...region(endpoint),
          AUTH_JWKS_URL: 'https://idp.example.com/jwks.json',
        }).auth.disabled,
      ).toBe(false);
      expect(
        loadConfig({ ATHENA_ENDPOINT: endpoint, ...region(endpoint), AUTH_JWT_SECRET: 'a'.repeat(32) }).auth.disabled,
      ).toBe(false);
    },
  );

  it.each(['http://127.0.0.1:4566', 'http://127.1.2.3:4566', 'http://localhost:4566', 'http://[::1]:4566'])(
    'an explicit loopback endpoint (%s) keeps the local rules: may run open, GraphiQL and introspection on',
    (endpoint) => {
      const config = loadConfig({ ATHENA_ENDPOINT: endpoint, AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
      expect(config.athena).toMatchObject({ mode: 'endpoint', local: true });
      expect(loadConfig({ ATHENA_ENDPOINT: endpoint }).auth.disabled).toBe(true);
      expect(config.graphiql).toBe(true);
      expect(config.introspection).toBe(true);
    },
  );
});

describe('secrets and lists that do not hold are refused at start', () => {
  it.each([
    {},
    { ATHENA_ENDPOINT: 'http://127.0.0.1:4566' },
    { ATHENA_ENDPOINT: 'aws', AWS_REGION: 'us-east-1', AUTH_JWT_SECRET: LONG_SECRET },
  ])('a CURSOR_SECRET under 32 bytes is refused in every mode (%j)', (environment) => {
    expect(() => loadConfig({ ...environment, CURSOR_SECRET: 'x'.repeat(31) })).toThrow(
      /CURSOR_SECRET: must be at least 32 bytes/,
    );
    expect(loadConfig({ ...environment, CURSOR_SECRET: 'x'.repeat(32) }).cursorSecret.toString('utf8')).toBe(
      'x'.repeat(32),
    );
  });

  it.each([
    'https://a.com/path',
    'ftp://a.com',
    'not a url',
    'https://a.com?x=1',
    'https://user@a.com',
    'a.com',
    'https://a.com, *',
  ])('CORS_ORIGINS=%s stops the start with a message naming the variable', (origins) => {
    expect(() => loadConfig({ CORS_ORIGINS: origins })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: origins })).toThrow(/CORS_ORIGINS/);
  });

  it('CORS_ORIGINS takes origins (a trailing slash tolerated) or * alone', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000/ ,https://b.example:8443' })
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:3000/', 'https://b.example:8443']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });
});

describe('HTTP server timeouts', () => {
  it('have defaults from the limits file and can be set', () => {
    expect(loadConfig({}).http).toEqual({
      headersTimeoutMs: HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: HTTP_IDLE_TIMEOUT_MS,
    });
    expect(
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '3000', HTTP_IDLE_TIMEOUT_MS: '4000' })
        .http,
    ).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      idleTimeoutMs: 4000,
    });
  });

  it('refuse headers allowed longer than the whole request', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS/,
    );
  });
});
