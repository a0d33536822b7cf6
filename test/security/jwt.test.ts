// Token verification: the claims the contract fixes, the clock tolerance, and keys from a JWKS
// endpoint (a local node:http server on port 0 serving freshly generated RS256 and ES256 keys).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { CLOCK_TOLERANCE_SECONDS } from '../../src/auth/jwt-verifier.js';
import { type Stack, startStack } from '../helpers.js';
import { testConfig } from '../test-config.js';
import {
  AUDIENCE,
  bearer,
  expectNoLeak,
  ISSUER,
  post,
  SECRET,
  send,
  startProductionStack,
  token,
  unsignedToken,
} from './support.js';

const ME = '{ sessions(workGroup: "primary", first: 1) { edges { node { sessionId } } } }';

describe('HS256 claims', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startProductionStack();
  });
  afterAll(() => stack.close());

  const viewerOf = (headers: Record<string, string>) =>
    createAuthenticator({ jwtSecret: SECRET, issuer: ISSUER, audience: AUDIENCE, disabled: false })!.viewerFor(
      new Request('http://gateway.test/graphql', { headers }),
    );

  it('reads scope (space-separated), workgroups and sub into the viewer', async () => {
    const viewer = await viewerOf(
      bearer(await token({ scope: ' sessions:read  other:scope ', workgroups: ['primary', 'analytics'], sub: 'bob' })),
    );
    expect(viewer.subject).toBe('bob');
    expect([...viewer.scopes].sort()).toEqual(['other:scope', 'sessions:read']);
    expect(viewer.workGroups).toEqual(new Set(['primary', 'analytics']));
  });

  it('["*"] means every work group; a missing workgroups claim means none; a missing scope grants nothing', async () => {
    expect((await viewerOf(bearer(await token({ workgroups: ['*'] })))).workGroups).toBe('*');
    const noClaims = await viewerOf(
      bearer(
        await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(SECRET)),
      ),
    );
    expect(noClaims.scopes.size).toBe(0);
    expect(noClaims.workGroups).toEqual(new Set());
  });

  it('accepts scopes given as an array of strings', async () => {
    expect([...(await viewerOf(bearer(await token({ scope: ['sessions:read', 'sessions:write'] })))).scopes]).toEqual([
      'sessions:read',
      'sessions:write',
    ]);
  });

  it(`tolerates ${CLOCK_TOLERANCE_SECONDS} s of clock skew on exp and nbf, and no more`, async () => {
    const authenticator = (offsetSeconds: number) =>
      createAuthenticator(
        { jwtSecret: SECRET, issuer: ISSUER, audience: AUDIENCE, disabled: false },
        { now: () => new Date(Date.now() + offsetSeconds * 1000) },
      )!;
    const expiresIn100 = bearer(await token({ expiresIn: 100 }));
    const request = () => new Request('http://gateway.test/graphql', { headers: expiresIn100 });
    // The gateway's clock runs 120 s ahead: the token expired 20 s ago by its clock, within tolerance.
    await expect(authenticator(120).viewerFor(request())).resolves.toBeDefined();
    // 140 s ahead: expired 40 s ago, beyond tolerance.
    await expect(authenticator(140).viewerFor(request())).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const notBefore = bearer(await token({ notBefore: 20 }));
    await expect(
      authenticator(0).viewerFor(new Request('http://gateway.test/graphql', { headers: notBefore })),
    ).resolves.toBeDefined();
  });

  it('refuses to build an authenticator with auth on and no key source', () => {
    expect(() => createAuthenticator({ disabled: false })).toThrow(/AUTH_JWT_SECRET|AUTH_JWKS_URL/);
  });

  it('a token for this gateway works end to end, and the same token is refused by a gateway with another secret', async () => {
    const jwt = await token();
    expect((await send(stack, post(ME, undefined, bearer(jwt)))).status).toBe(200);
    const other = await startStack({ config: { auth: { jwtSecret: `${SECRET}-rotated`, disabled: false } } });
    try {
      const response = await send(other, post(ME, undefined, bearer(jwt)));
      expect(response.status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('with auth off (the default test config) every caller has full access and tokens are ignored', async () => {
    const open = await startStack();
    try {
      const anonymous = await send(
        open,
        post('mutation { startSession(input: { workGroup: "sandbox" }) { session { sessionId } } }'),
      );
      expect(anonymous.json?.errors).toBeUndefined();
      const garbage = await send(open, post(ME, undefined, { authorization: 'Bearer garbage' }));
      expect(garbage.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('keys from a JWKS endpoint (RS256 and ES256)', () => {
  let jwks: Server;
  let jwksUrl: string;
  let keySet: { keys: JWK[] };
  let served: { keys: JWK[] } | string;
  let fetches = 0;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
  let stack: Stack;

  const sign = (
    key: CryptoKey,
    alg: 'RS256' | 'ES256',
    kid: string | undefined,
    claims: Record<string, unknown> = {},
  ) => {
    const jwt = new SignJWT({ scope: 'sessions:read', workgroups: ['primary'], ...claims })
      .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
      .setSubject('jwks-user')
      .setIssuer(ISSUER)
      .setAudience(typeof claims.aud === 'string' ? claims.aud : AUDIENCE)
      .setExpirationTime('5m');
    return jwt.sign(key);
  };

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    stranger = await generateKeyPair('RS256', { extractable: true });
    keySet = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ],
    };
    served = keySet;
    jwks = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(typeof served === 'string' ? served : JSON.stringify(served));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    stack = await startStack({
      config: {
        auth: { jwksUrl, issuer: ISSUER, audience: AUDIENCE, disabled: false },
        introspection: false,
        graphiql: false,
      },
    });
  });
  afterAll(async () => {
    await stack.close();
    await new Promise((resolve) => jwks.close(resolve));
  });
  beforeEach(() => stack.resetCalls());

  it('accepts an RS256 token and an ES256 token signed by keys the endpoint serves', async () => {
    for (const jwt of [await sign(rsa.privateKey, 'RS256', 'rsa-1'), await sign(ec.privateKey, 'ES256', 'ec-1')]) {
      const response = await send(stack, post(ME, undefined, bearer(jwt)));
      expect(response.status).toBe(200);
      expect(response.json?.data.sessions.edges).toHaveLength(1);
    }
    // The key set is fetched once and cached, not once per request.
    expect(fetches).toBe(1);
  });

  it('applies the token’s scope and work groups', async () => {
    const primaryOnly = bearer(await sign(rsa.privateKey, 'RS256', 'rsa-1'));
    const analytics = await send(
      stack,
      post('{ sessions(workGroup: "analytics") { edges { cursor } } }', undefined, primaryOnly),
    );
    expect(analytics.json?.data).toEqual({ sessions: { edges: [] } });
    const terminate = await send(
      stack,
      post('mutation { terminateSession(input: { sessionId: "x" }) { state } }', undefined, primaryOnly),
    );
    expect(terminate.code).toBe('FORBIDDEN');
  });

  it.each([
    ['a key the endpoint does not serve, under a served kid', async () => sign(stranger.privateKey, 'RS256', 'rsa-1')],
    ['an unknown kid', async () => sign(stranger.privateKey, 'RS256', 'who-knows')],
    ['no kid and a key the endpoint does not serve', async () => sign(stranger.privateKey, 'RS256', undefined)],
    [
      'HS256 keyed with the RSA public key (algorithm confusion)',
      async () =>
        new SignJWT({ scope: 'sessions:read sessions:write', workgroups: ['*'] })
          .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
    ],
    [
      'alg: none',
      async () =>
        unsignedToken({
          scope: 'sessions:read',
          workgroups: ['*'],
          iss: ISSUER,
          aud: AUDIENCE,
          exp: Math.floor(Date.now() / 1000) + 300,
        }),
    ],
    [
      'a served key but the wrong audience',
      async () => sign(rsa.privateKey, 'RS256', 'rsa-1', { aud: 'someone-else' }),
    ],
    ['a token that is not a JWT', async () => 'garbage'],
    ['three parts of base64 garbage', async () => 'aGVsbG8.d29ybGQ.Zm9v'],
    [
      'a header naming an algorithm jose does not know',
      async () => `${Buffer.from('{"alg":"XX999","kid":"rsa-1"}').toString('base64url')}.e30.c2ln`,
    ],
  ])('refuses %s with 401', async (_name, mint) => {
    const response = await send(stack, post(ME, undefined, bearer(await mint())));
    expect(response.status).toBe(401);
    expect(response.code).toBe('UNAUTHENTICATED');
    expectNoLeak(response);
    expect(stack.calls()).toEqual({});
  });

  it('answers 503 AUTH_UNAVAILABLE, not 401 or 500, when the endpoint serves something that is not a key set', async () => {
    const broken = await startStack({ config: { auth: { jwksUrl: `${jwksUrl}?broken`, disabled: false } } });
    served = '<html>maintenance</html>';
    try {
      const response = await send(broken, post(ME, undefined, bearer(await sign(rsa.privateKey, 'RS256', 'rsa-1'))));
      expect(response.status).toBe(503);
      expect(response.code).toBe('AUTH_UNAVAILABLE');
      expect(response.headers.get('retry-after')).toBe('5');
      expectNoLeak(response);
    } finally {
      served = keySet;
      await broken.close();
    }
  });

  it('answers 503 AUTH_UNAVAILABLE when the endpoint cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks`;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await startStack({ config: { auth: { jwksUrl: deadUrl, disabled: false } } });
    try {
      const response = await send(
        unreachable,
        post(ME, undefined, bearer(await sign(rsa.privateKey, 'RS256', 'rsa-1'))),
      );
      expect(response.status).toBe(503);
      expect(response.code).toBe('AUTH_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });
});

describe('configuration', () => {
  it('a config with AUTH_JWT_SECRET turns auth on in createGateway without further wiring', async () => {
    const config = testConfig();
    expect(config.auth.disabled).toBe(true);
    const stack = await startStack({ config: { auth: { ...config.auth, jwtSecret: SECRET, disabled: false } } });
    try {
      expect((await send(stack, post(ME))).status).toBe(401);
      expect(
        (await send(stack, post(ME, undefined, bearer(await token({ issuer: null, audience: null }))))).status,
      ).toBe(200);
    } finally {
      await stack.close();
    }
  });
});
