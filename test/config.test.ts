import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactRedisUrl } from '../src/config.js';

describe('loadConfig', () => {
  it('defaults to the embedded local service on port 4000 with a random cursor secret', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.athena).toMatchObject({ mode: 'embedded', region: 'us-east-1' });
    expect(config.cursorSecret.length).toBe(32);
    expect(config.cursorSecretFromEnv).toBe(false);
    expect(config.auth.disabled).toBe(true);
    expect(config.graphiql).toBe(true);
    expect(config.subscriptionPollMs).toBe(2000);
  });

  it('an http(s) URL selects endpoint mode; the word aws the real endpoint', () => {
    expect(loadConfig({ ATHENA_ENDPOINT: 'http://127.0.0.1:4566' }).athena).toMatchObject({ mode: 'endpoint', endpoint: 'http://127.0.0.1:4566' });
    const aws = loadConfig({ ATHENA_ENDPOINT: 'aws', AWS_REGION: 'eu-west-1', AUTH_JWT_SECRET: 'a-secret' });
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
    expect(loadConfig({ ATHENA_ENDPOINT: 'aws', AWS_REGION: 'us-east-1', AUTH_DISABLED: 'true' }).auth.disabled).toBe(true);
  });

  it('CACHE_TTL_MS=0 is allowed and means no cross-request cache', () => {
    expect(loadConfig({ CACHE_TTL_MS: '0' }).cacheTtlMs).toBe(0);
  });

  describe('the fleet (REDIS_URL, REDIS_KEY_PREFIX, ATHENA_RATE_LIMIT)', () => {
    const secret = 'a-cursor-secret-of-at-least-32-bytes!!';

    it('unset: one process, no Redis, no budget', () => {
      expect(loadConfig({}).fleet).toEqual({ redisUrl: undefined, keyPrefix: 'athena-gateway:', rateLimitPerSecond: undefined });
    });

    it('redis:// and rediss:// URLs with a user and password are accepted, with a prefix and a budget', () => {
      const config = loadConfig({ REDIS_URL: 'rediss://app:s3cret@redis.internal:6380/2', CURSOR_SECRET: secret, REDIS_KEY_PREFIX: 'blue:', ATHENA_RATE_LIMIT: '20' });
      expect(config.fleet).toEqual({ redisUrl: 'rediss://app:s3cret@redis.internal:6380/2', keyPrefix: 'blue:', rateLimitPerSecond: 20 });
      expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', CURSOR_SECRET: secret }).fleet.redisUrl).toBe('redis://127.0.0.1:6379');
    });

    it('REDIS_URL without CURSOR_SECRET refuses to start and says why', () => {
      expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(ConfigError);
      expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/CURSOR_SECRET: required when REDIS_URL is set.*every other/);
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
      expect(redactRedisUrl('rediss://app:s3cret@redis.internal:6380/2')).toBe('rediss://app:***@redis.internal:6380/2');
      expect(redactRedisUrl('redis://:s3cret@10.0.0.5:6379')).toBe('redis://:***@10.0.0.5:6379');
      expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    });
  });
});
