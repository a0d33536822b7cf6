import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

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
});
