/**
 * The shared HTTP case table for JWT access tokens: every row runs against ALL adapters
 * (Express, Koa, Fastify, fetch served by Node) with the same expected status, parsed challenge
 * and error code; where the fetch adapter cannot see what the others see, the row says so.
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import { parseChallenges } from '../helpers/challenge.js';
import { AUDIENCE, hmacSigner, keySigner, rawJws, startMockIssuer } from '../helpers/issuer.js';

const ok = { status: 200 } as const;
const invalidRequest = (code: string) => ({ status: 400, error: 'invalid_request', code });
const invalidToken = (code: string) => ({ status: 401, error: 'invalid_token', code });
const unavailable = (code: string) => ({ status: 503, code });
/**
 * The fetch adapter sees repeated `Authorization` fields joined with ", " (`Headers`), and a
 * Bearer credential never contains a comma: a comma next to Bearer/DPoP is refused as two fields.
 */
const JOINED_FIELDS = {
  expect: { code: 'ERR_REQUEST_MULTIPLE_AUTHORIZATION' },
  why: 'Headers joins repeated fields with ", ", so a comma in a Bearer value reads as two fields',
};

/** Sends a token and returns it as a secret the response must not contain. */
async function sendToken(context: CaseContext, token: string, path = '/protected') {
  return { response: await context.bearer(token, path), secrets: [token] };
}

/** A token signed by the issuer with these claim overrides / header overrides. */
function withToken(overrides: Record<string, unknown> | (() => Record<string, unknown>) = {}, header: Record<string, unknown> = {}, path = '/protected') {
  return async (context: CaseContext) => {
    const claims = typeof overrides === 'function' ? overrides() : overrides;
    return sendToken(context, await context.issuer.sign(claims, { header }), path);
  };
}

/** Starts a loopback server that only counts requests (a `jku`/`x5u` target that must stay untouched). */
async function startSpy(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits += 1;
    res.end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const extraction: HttpCase[] = [
  { title: 'no credentials → 401 without error', run: async (c) => ({ response: await c.send('/protected') }), expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' } },
  {
    title: 'only another scheme (Basic) → 401 without error',
    run: async (c) => ({ response: await c.send('/protected', { headers: [['authorization', 'Basic dXNlcjpwYXNz']] }) }),
    expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' },
  },
  {
    title: 'valid token → 200 with the user context, token not echoed',
    run: withToken(),
    expect: ok,
    check(t, _c, response) {
      const { auth } = JSON.parse(response.body) as { auth: Record<string, unknown> };
      t.is(auth.subject, 'user-123');
      t.is(auth.clientId, 'client-abc');
      t.is(auth.format, 'jwt');
      t.is(auth.scheme, 'Bearer');
      t.deepEqual(auth.scopes, ['orders:read', 'profile']);
      t.deepEqual(auth.audience, [AUDIENCE]);
      t.is(auth.token, undefined);
    },
  },
  ...['bearer', 'BEARER', 'bEaReR'].map((scheme): HttpCase => ({
    title: `scheme "${scheme}" is case-insensitive → 200`,
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send('/protected', { headers: [['authorization', `${scheme} ${token}`]] }), secrets: [token] };
    },
    expect: ok,
  })),
  {
    title: 'several spaces after the scheme → 200',
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send('/protected', { headers: [['authorization', `Bearer    ${token}`]] }), secrets: [token] };
    },
    expect: ok,
  },
  {
    title: 'tab after the scheme → 400',
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send('/protected', { headers: [['authorization', `Bearer\t${token}`]] }), secrets: [token] };
    },
    expect: invalidRequest('ERR_REQUEST_MALFORMED_CREDENTIALS'),
  },
  ...['abc$def', 'abc def', 'abc,def', 'a"b', '=abc', 'abc=def'].map((token): HttpCase => ({
    title: `token "${token}" outside the b64token charset → 400`,
    run: async (c) => ({ response: await c.send('/protected', { headers: [['authorization', `Bearer ${token}`]] }) }),
    expect: invalidRequest('ERR_REQUEST_MALFORMED_CREDENTIALS'),
    ...(token.includes(',') ? { differences: { fetch: JOINED_FIELDS } } : {}),
  })),
  {
    title: 'empty token ("Bearer ") → 400',
    run: async (c) => ({ response: await c.send('/protected', { headers: [['authorization', 'Bearer ']] }) }),
    expect: invalidRequest('ERR_REQUEST_MALFORMED_CREDENTIALS'),
  },
  {
    title: 'two Authorization header fields → 400',
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send('/protected', { headers: [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]] });
      return { response, secrets: [token] };
    },
    expect: invalidRequest('ERR_REQUEST_MULTIPLE_AUTHORIZATION'),
  },
  {
    title: 'a Basic and a Bearer Authorization field → 400',
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send('/protected', { headers: [['authorization', 'Basic dXNlcjpwYXNz'], ['authorization', `Bearer ${token}`]] });
      return { response, secrets: [token] };
    },
    expect: invalidRequest('ERR_REQUEST_MULTIPLE_AUTHORIZATION'),
  },
  {
    title: 'two Basic Authorization fields → 400',
    run: async (c) => ({ response: await c.send('/protected', { headers: [['authorization', 'Basic dXNlcjpwYXNz'], ['authorization', 'Basic b3RoZXI6cGFzcw==']] }) }),
    expect: invalidRequest('ERR_REQUEST_MULTIPLE_AUTHORIZATION'),
    differences: {
      fetch: {
        expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' },
        why: 'the joined value "Basic …, Basic …" is one field of another scheme to the fetch adapter, as a Digest field with parameters is',
      },
    },
  },
  {
    title: 'one Digest Authorization field with comma-separated parameters → another scheme: 401 without error',
    run: async (c) => ({ response: await c.send('/protected', { headers: [['authorization', 'Digest username="u", realm="r", nonce="n"']] }) }),
    expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' },
  },
  {
    title: 'header + query with query enabled → 400',
    options: () => ({ tokenLocations: ['header', 'query'] }),
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send(`/protected?access_token=${token}`, { headers: [['authorization', `Bearer ${token}`]] });
      return { response, secrets: [token] };
    },
    expect: invalidRequest('ERR_REQUEST_MULTIPLE_METHODS'),
  },
  {
    title: 'header + query with query disabled → query ignored, 200',
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send(`/protected?access_token=${token}`, { headers: [['authorization', `Bearer ${token}`]] });
      return { response, secrets: [] };
    },
    expect: ok,
  },
  {
    title: 'query token with query enabled → 200 with Cache-Control: private',
    options: () => ({ tokenLocations: ['query'] }),
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send(`/protected?access_token=${token}`), secrets: [token] };
    },
    expect: ok,
    check(t, _c, response) {
      t.regex(String(response.headers['cache-control']), /private/);
    },
  },
  {
    title: 'query token with query disabled → ignored: 401 without error',
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send(`/protected?access_token=${token}`), secrets: [token] };
    },
    expect: { status: 401, error: null },
  },
  {
    title: 'access_token twice in the query → 400',
    options: () => ({ tokenLocations: ['query'] }),
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send(`/protected?access_token=${token}&access_token=${token}`), secrets: [token] };
    },
    expect: invalidRequest('ERR_REQUEST_MULTIPLE_METHODS'),
  },
  {
    title: 'form body token with body enabled → 200',
    options: () => ({ tokenLocations: ['header', 'body'] }),
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send('/form', {
        method: 'POST', headers: [['content-type', 'application/x-www-form-urlencoded']], body: `access_token=${encodeURIComponent(token)}&x=1`,
      });
      return { response, secrets: [token] };
    },
    expect: ok,
  },
  {
    title: 'header + form body with body enabled → 400',
    options: () => ({ tokenLocations: ['header', 'body'] }),
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send('/form', {
        method: 'POST',
        headers: [['content-type', 'application/x-www-form-urlencoded'], ['authorization', `Bearer ${token}`]],
        body: `access_token=${encodeURIComponent(token)}`,
      });
      return { response, secrets: [token] };
    },
    expect: invalidRequest('ERR_REQUEST_MULTIPLE_METHODS'),
  },
  {
    title: 'form body token with body disabled → ignored: 401 without error',
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send('/form', {
        method: 'POST', headers: [['content-type', 'application/x-www-form-urlencoded']], body: `access_token=${encodeURIComponent(token)}`,
      });
      return { response, secrets: [token] };
    },
    expect: { status: 401, error: null },
  },
  {
    title: 'body token in a JSON body is not a form body → 401 without error',
    options: () => ({ tokenLocations: ['header', 'body'] }),
    run: async (c) => {
      const token = await c.issuer.sign();
      const response = await c.send('/form', {
        method: 'POST', headers: [['content-type', 'application/json']], body: JSON.stringify({ access_token: token }),
      });
      return { response, secrets: [token] };
    },
    expect: { status: 401, error: null },
  },
];

const algorithms: HttpCase[] = [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): HttpCase => ({
    title: `alg "${alg}" → 401`,
    run: async (c) => sendToken(c, rawJws({ alg, typ: 'at+jwt' }, c.issuer.claims(), 'none')),
    expect: invalidToken('ERR_JWT_ALG_NOT_ALLOWED'),
  })),
  {
    title: 'HS256 signed with the issuer\'s RSA public key → 401',
    alg: 'RS256',
    run: async (c) => {
      const key = c.issuer.published[0]!;
      const pem = key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const token = rawJws({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }, c.issuer.claims(), hmacSigner(pem));
      return sendToken(c, token);
    },
    expect: invalidToken('ERR_JWT_ALG_NOT_ALLOWED'),
  },
  {
    title: 'RS256 token against a PS256/ES256-only allow-list → 401',
    alg: 'RS256',
    options: () => ({ algorithms: ['PS256', 'ES256'] }),
    run: withToken(),
    expect: invalidToken('ERR_JWT_ALG_NOT_ALLOWED'),
  },
  { title: 'RS256 token, default allow-list → 200', alg: 'RS256', run: withToken(), expect: ok },
  { title: 'PS256 token → 200', alg: 'PS256', run: withToken(), expect: ok },
  { title: 'EdDSA token → 200', alg: 'EdDSA', run: withToken(), expect: ok },
  { title: 'ES384 token → 200', alg: 'ES384', run: withToken(), expect: ok },
  {
    title: 'ES256 header naming a P-384 key → no key fits the algorithm: 401',
    run: async (c) => {
      const p384 = c.issuer.createKey('ES384');
      c.issuer.published.push({ ...p384, publicJwk: { ...p384.publicJwk, alg: undefined } });
      return sendToken(c, rawJws({ alg: 'ES256', typ: 'at+jwt', kid: p384.kid }, c.issuer.claims(), () => Buffer.alloc(64, 1)));
    },
    expect: invalidToken('ERR_JWKS_NO_MATCHING_KEY'),
  },
  {
    title: 'tampered payload (signature of other claims) → 401',
    run: async (c) => {
      const token = await c.issuer.sign();
      const [header, , signature] = token.split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify(c.issuer.claims({ scope: 'admin' }))).toString('base64url')}.${signature}`;
      return { response: await c.bearer(forged), secrets: [token, forged] };
    },
    expect: invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    title: 'token signed by an unpublished key with a published kid → 401',
    run: async (c) => {
      const attacker = c.issuer.createKey('ES256', c.issuer.published[0]!.kid);
      return sendToken(c, await c.issuer.sign({}, { key: attacker }));
    },
    expect: invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    title: 'crit header → 401',
    run: async (c) => {
      const key = c.issuer.published[0]!;
      return sendToken(c, rawJws({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, crit: ['exp'] }, c.issuer.claims(), keySigner(key)));
    },
    expect: invalidToken('ERR_JWT_CRIT_UNSUPPORTED'),
  },
];

/** `jku`, `x5u`, `jwk`, `x5c`: an attacker's own key offered in the header is never used or fetched. */
const keyHeaders: HttpCase[] = ['jku', 'x5u', 'jwk', 'x5c'].map((name): HttpCase => ({
  title: `"${name}" header offering the attacker's key → 401, the offered location receives nothing`,
  run: async (c) => {
    const spy = await startSpy();
    try {
      const attacker = c.issuer.createKey('ES256', 'attacker-kid');
      const offered = name === 'jwk' ? attacker.publicJwk : name === 'x5c' ? ['MIIBfake'] : `${spy.url}/keys`;
      const token = await c.issuer.sign({}, { key: attacker, header: { [name]: offered } });
      const result = await sendToken(c, token);
      c.notes.spyHits = spy.hits();
      return result;
    } finally {
      await spy.close();
    }
  },
  expect: invalidToken('ERR_JWKS_NO_MATCHING_KEY'),
  check: (t, c) => t.is(c.notes.spyHits, 0),
}));

const hostileKids = ['"', '\\', 'a"b\\c', 'line\r\nX-Injected: yes', '../../../etc/passwd', 'k'.repeat(4000), '\u0000', 'ключ', '${jndi:ldap://x}'];
const kids: HttpCase[] = [
  ...hostileKids.map((kid, index): HttpCase => ({
    title: `hostile kid #${index} → 401, header intact`,
    run: withToken({}, { kid }),
    expect: invalidToken('ERR_JWKS_NO_MATCHING_KEY'),
    check(t, _c, response) {
      t.is(response.headers['x-injected'], undefined);
      t.notThrows(() => parseChallenges(response.headers['www-authenticate'] as string));
    },
  })),
  {
    title: 'kid that is not a string → 401',
    run: withToken({}, { kid: 42 }),
    expect: invalidToken('ERR_JWT_MALFORMED'),
  },
  {
    title: 'key rotated after start-up: unknown kid → exactly one refetch, then 200',
    run: async (c) => {
      await c.bearer(await c.issuer.sign());
      const rotated = c.issuer.createKey('ES256');
      c.issuer.published = [rotated];
      const token = await c.issuer.sign({}, { key: rotated });
      return sendToken(c, token);
    },
    expect: { status: 200, handlerCalls: 2 },
    check: (t, c) => t.is(c.issuer.hits.jwks, 2),
  },
  {
    title: 'unknown kid that stays unknown → exactly one refetch, 401; a flood costs nothing more',
    run: async (c) => {
      await c.bearer(await c.issuer.sign());
      const stranger = c.issuer.createKey('ES256');
      let last;
      for (let i = 0; i < 5; i += 1) last = await sendToken(c, await c.issuer.sign({}, { key: c.issuer.createKey('ES256') }));
      last = await sendToken(c, await c.issuer.sign({}, { key: stranger }));
      return last;
    },
    expect: { ...invalidToken('ERR_JWKS_NO_MATCHING_KEY'), handlerCalls: 1 },
    check: (t, c) => t.is(c.issuer.hits.jwks, 2),
  },
];

const issuers: HttpCase[] = [
  {
    title: 'untrusted iss → 401 before any key fetch',
    run: withToken({ iss: 'https://evil.example' }),
    expect: invalidToken('ERR_JWT_ISSUER_UNTRUSTED'),
    check: (t, c) => t.is(c.issuer.hits.jwks + c.issuer.hits.discovery, 0),
  },
  {
    title: 'iss with a trailing slash is another issuer → 401',
    run: async (c) => sendToken(c, await c.issuer.sign({ iss: `${c.issuer.issuer}/` })),
    expect: invalidToken('ERR_JWT_ISSUER_UNTRUSTED'),
  },
  {
    title: 'missing iss → 401',
    run: withToken({ iss: undefined }),
    expect: invalidToken('ERR_JWT_ISSUER_UNTRUSTED'),
  },
];

const types: HttpCase[] = [
  ...['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'].map((typ): HttpCase => ({
    title: `typ "${typ}" → 200`, run: withToken({}, { typ }), expect: ok,
  })),
  ...['JWT', 'jwt', undefined, 'dpop+jwt', 'token-introspection+jwt', 'at+jwt; x', ''].map((typ): HttpCase => ({
    title: `typ ${JSON.stringify(typ)} → 401`, run: withToken({}, { typ }), expect: invalidToken('ERR_JWT_TYP_INVALID'),
  })),
  ...['JWT', 'application/jwt', undefined].map((typ): HttpCase => ({
    title: `typ ${JSON.stringify(typ)} with allowGenericJwtTyp → 200`,
    options: () => ({ allowGenericJwtTyp: true }),
    run: withToken({}, { typ }),
    expect: ok,
  })),
  ...['dpop+jwt', 'logout+jwt'].map((typ): HttpCase => ({
    title: `typ "${typ}" with allowGenericJwtTyp → still 401`,
    options: () => ({ allowGenericJwtTyp: true }),
    run: withToken({}, { typ }),
    expect: invalidToken('ERR_JWT_TYP_INVALID'),
  })),
];

const now = () => Math.floor(Date.now() / 1000);

/** A case whose guard clock is frozen at t0 (seconds), so tolerance edges do not depend on machine load. */
function frozen(title: string, claims: (t0: number) => Record<string, unknown>, expect: HttpCase['expect'] = ok): HttpCase {
  let t0 = 0;
  return {
    title,
    options: () => {
      t0 = now();
      return { clock: () => t0 * 1000 };
    },
    run: withToken(() => ({ exp: t0 + 300, ...claims(t0) })),
    expect,
  };
}
const claims: HttpCase[] = [
  { title: 'aud as an array containing ours → 200', run: withToken({ aud: ['https://other.example', AUDIENCE] }), expect: ok },
  { title: 'aud as another string → 401', run: withToken({ aud: 'https://other.example' }), expect: invalidToken('ERR_TOKEN_AUDIENCE_INVALID') },
  { title: 'aud as an array without ours → 401', run: withToken({ aud: ['https://a.example', 'https://b.example'] }), expect: invalidToken('ERR_TOKEN_AUDIENCE_INVALID') },
  { title: 'aud differing only in case → 401', run: withToken({ aud: AUDIENCE.toUpperCase() }), expect: invalidToken('ERR_TOKEN_AUDIENCE_INVALID') },
  { title: 'aud malformed (number) → 401', run: withToken({ aud: 42 }), expect: invalidToken('ERR_TOKEN_CLAIM_INVALID') },
  {
    title: 'second configured audience accepted → 200',
    options: () => ({ audience: [AUDIENCE, 'urn:second'], realm: AUDIENCE }),
    run: withToken({ aud: 'urn:second' }),
    expect: ok,
  },
  frozen('exp 3 s ago, inside the default 5 s tolerance → 200', (t0) => ({ exp: t0 - 3, iat: t0 - 60 }), ok),
  frozen('exp 6 s ago, outside the default 5 s tolerance → 401', (t0) => ({ exp: t0 - 6, iat: t0 - 60 }), invalidToken('ERR_TOKEN_EXPIRED')),
  { title: 'exp 10 s ago → 401', run: withToken(() => ({ exp: now() - 10 })), expect: invalidToken('ERR_TOKEN_EXPIRED') },
  { title: 'exp 10 s ago with clockTolerance 30 → 200', options: () => ({ clockTolerance: 30 }), run: withToken(() => ({ exp: now() - 10 })), expect: ok },
  { title: 'exp as a string → 401', run: withToken(() => ({ exp: String(now() + 100) })), expect: invalidToken('ERR_TOKEN_CLAIM_INVALID') },
  frozen('nbf 3 s ahead, inside the tolerance → 200', (t0) => ({ nbf: t0 + 3, iat: t0 })),
  frozen('nbf 6 s ahead, outside the tolerance → 401', (t0) => ({ nbf: t0 + 6, iat: t0 }), invalidToken('ERR_TOKEN_NOT_YET_VALID')),
  frozen('iat 6 s ahead, outside the tolerance → 401', (t0) => ({ iat: t0 + 6 }), invalidToken('ERR_TOKEN_IAT_IN_FUTURE')),
  { title: 'nbf 60 s ahead → 401', run: withToken(() => ({ nbf: now() + 60 })), expect: invalidToken('ERR_TOKEN_NOT_YET_VALID') },
  { title: 'iat 60 s ahead → 401', run: withToken(() => ({ iat: now() + 60 })), expect: invalidToken('ERR_TOKEN_IAT_IN_FUTURE') },
  ...['exp', 'aud', 'sub', 'client_id', 'iat', 'jti'].map((name): HttpCase => ({
    title: `missing ${name} → 401`, run: withToken({ [name]: undefined }), expect: invalidToken('ERR_TOKEN_CLAIM_MISSING'),
  })),
  {
    title: 'requiredClaims: [] lets a token without jti through → 200',
    options: () => ({ requiredClaims: [] }),
    run: withToken({ jti: undefined, client_id: undefined }),
    expect: ok,
  },
  {
    title: 'custom requiredClaims: missing tenant → 401',
    options: () => ({ requiredClaims: ['sub', 'tenant'] }),
    run: withToken(),
    expect: invalidToken('ERR_TOKEN_CLAIM_MISSING'),
  },
  { title: 'sub as a number → 401', run: withToken({ sub: 42 }), expect: invalidToken('ERR_TOKEN_CLAIM_INVALID') },
];

const scopes: HttpCase[] = [
  { title: 'all-of: both scopes, any order → 200', run: withToken({ scope: 'orders:write profile orders:read' }, {}, '/scopes/all'), expect: ok },
  { title: 'all-of: scp array → 200', run: withToken({ scope: undefined, scp: ['orders:write', 'orders:read'] }, {}, '/scopes/all'), expect: ok },
  { title: 'all-of: scp string → 200', run: withToken({ scope: undefined, scp: 'orders:write orders:read' }, {}, '/scopes/all'), expect: ok },
  {
    title: 'all-of: one scope missing → 403 with scope',
    run: withToken({ scope: 'orders:read' }, {}, '/scopes/all'),
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:read orders:write', code: 'ERR_SCOPE_INSUFFICIENT' },
  },
  {
    title: 'all-of: scopes differ in case → 403',
    run: withToken({ scope: 'ORDERS:READ ORDERS:WRITE' }, {}, '/scopes/all'),
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:read orders:write' },
  },
  {
    title: 'all-of: no prefix matching (orders, orders:read:all, orders:writer) → 403',
    run: withToken({ scope: 'orders orders:read:all orders:writer orders:read' }, {}, '/scopes/all'),
    expect: { status: 403, error: 'insufficient_scope' },
  },
  {
    title: 'no scope claim on a scoped route → 403',
    run: withToken({ scope: undefined }, {}, '/scopes/all'),
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:read orders:write' },
  },
  { title: 'any-of: one of them → 200', run: withToken({ scope: 'admin' }, {}, '/scopes/any'), expect: ok },
  {
    title: 'any-of: none of them → 403',
    run: withToken({ scope: 'orders:read' }, {}, '/scopes/any'),
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:write admin' },
  },
  { title: 'claims: tenant and predicate hold → 200', run: withToken({ tenant: 'acme', email_verified: true }, {}, '/claims'), expect: ok },
  {
    title: 'claims: wrong tenant → 403',
    run: withToken({ tenant: 'evil', email_verified: true }, {}, '/claims'),
    expect: { status: 403, error: 'insufficient_scope', code: 'ERR_CLAIMS_INSUFFICIENT' },
  },
  {
    title: 'claims: predicate fails ("true" is not true) → 403',
    run: withToken({ tenant: 'acme', email_verified: 'true' }, {}, '/claims'),
    expect: { status: 403, error: 'insufficient_scope', code: 'ERR_CLAIMS_INSUFFICIENT' },
  },
  {
    title: 'optional route without credentials → 200 with no auth',
    run: async (c) => ({ response: await c.send('/optional') }),
    expect: ok,
    check: (t, _c, response) => t.deepEqual(JSON.parse(response.body), { auth: null }),
  },
  {
    title: 'optional route with a bad token → 401',
    run: withToken(() => ({ exp: now() - 60 }), {}, '/optional'),
    expect: invalidToken('ERR_TOKEN_EXPIRED'),
  },
  {
    title: 'requirement without protect() before it → 500, handler not run',
    run: withToken({}, {}, '/misordered'),
    expect: { status: 500, code: 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER' },
  },
  {
    title: 'optional route with a requirement, without credentials → 401 with the guard\'s challenge',
    run: async (c) => ({ response: await c.send('/optional/scoped') }),
    expect: { status: 401, code: 'ERR_CREDENTIALS_MISSING', handlerCalls: 0 },
    check(t, _c, response) {
      const challenge = String(response.headers['www-authenticate']);
      t.regex(challenge, /^Bearer\b/);
      t.notRegex(challenge, /error=/, 'RFC 6750 §3.1: no error code when no credentials were sent');
    },
  },
  {
    title: 'optional route with a requirement and a token lacking the scope → 403',
    run: withToken({ scope: 'profile' }, {}, '/optional/scoped'),
    expect: { status: 403, error: 'insufficient_scope', code: 'ERR_SCOPE_INSUFFICIENT' },
  },
  {
    title: 'context replaced by a look-alike granting more scopes → 500, handler not run',
    run: withToken({ scope: 'orders:read' }, {}, '/replaced'),
    expect: { status: 500, code: 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER', handlerCalls: 0 },
  },
];

const upstream: HttpCase[] = [
  ...(['refuse', 'error500', 'garbage', 'html', 'not-found', 'huge', 'huge-chunked'] as const).map((mode): HttpCase => ({
    title: `JWKS ${mode} → 503 with Retry-After; the next request tries again and passes`,
    options: (issuer) => ({ jwksUri: issuer.jwksUri }),
    run: async (c) => {
      c.issuer.mode = mode;
      const token = await c.issuer.sign();
      const failed = await c.bearer(token);
      c.issuer.mode = 'ok';
      c.notes.recovered = (await c.bearer(token)).status;
      return { response: failed, secrets: [token] };
    },
    expect: { ...unavailable('ERR_JWKS_UNAVAILABLE'), handlerCalls: 1 },
    check(t, c) {
      t.is(c.notes.recovered, 200);
      t.is(c.issuer.hits.jwks, 2);
    },
  })),
  {
    title: 'discovery and JWKS answered in several chunks → joined, 200',
    run: async (c) => {
      c.issuer.mode = 'chunked';
      return sendToken(c, await c.issuer.sign());
    },
    expect: ok,
  },
  {
    title: 'JWKS slower than httpTimeout → 503',
    options: (issuer) => ({ jwksUri: issuer.jwksUri, httpTimeout: 200 }),
    run: async (c) => {
      c.issuer.mode = 'slow';
      return sendToken(c, await c.issuer.sign());
    },
    expect: unavailable('ERR_JWKS_UNAVAILABLE'),
  },
  ...(['refuse', 'error500', 'garbage'] as const).map((mode): HttpCase => ({
    title: `discovery ${mode} → 503`,
    run: async (c) => {
      c.issuer.mode = mode;
      return sendToken(c, await c.issuer.sign());
    },
    expect: unavailable('ERR_DISCOVERY_UNAVAILABLE'),
  })),
  {
    title: 'discovery 404 at both well-known URLs → 500 (a misconfiguration), no Retry-After',
    run: async (c) => {
      c.issuer.mode = 'not-found';
      return sendToken(c, await c.issuer.sign());
    },
    expect: { status: 500, code: 'ERR_DISCOVERY_NOT_FOUND' },
    check(t, _c, response) {
      t.is(response.headers['retry-after'], undefined);
    },
  },
  {
    title: 'discovery recovers: next request passes (failure not cached)',
    run: async (c) => {
      c.issuer.mode = 'error500';
      const token = await c.issuer.sign();
      await c.bearer(token);
      c.issuer.mode = 'ok';
      return sendToken(c, token);
    },
    expect: ok,
  },
  {
    title: 'discovery metadata naming another issuer → 503',
    run: async (c) => {
      c.issuer.metadata.issuer = 'https://impostor.example';
      return sendToken(c, await c.issuer.sign());
    },
    expect: unavailable('ERR_DISCOVERY_UNAVAILABLE'),
  },
];

runCaseTable(test, [...extraction, ...algorithms, ...keyHeaders, ...kids, ...issuers, ...types, ...claims, ...scopes, ...upstream]);

test('a token of issuer B signed with issuer A\'s key is rejected (both trusted)', async (t) => {
  const { FRAMEWORKS, startApp } = await import('../helpers/apps.js');
  const { send } = await import('../helpers/http.js');
  const a = await startMockIssuer('ES256');
  const b = await startMockIssuer('ES256');
  for (const framework of FRAMEWORKS) {
    const app = await startApp(framework, { issuer: [a.issuer, b.issuer], audience: AUDIENCE, logger: { warn() {}, error() {} } });
    try {
      const good = await send(`${app.url}/protected`, { headers: [['authorization', `Bearer ${await b.sign()}`]] });
      t.is(good.status, 200);
      const forged = await a.sign({ iss: b.issuer });
      const response = await send(`${app.url}/protected`, { headers: [['authorization', `Bearer ${forged}`]] });
      t.is(response.status, 401);
      t.is((app.errors.at(-1) as { code?: string }).code, 'ERR_JWKS_NO_MATCHING_KEY');
      t.is(app.handlerCalls, 1);
    } finally {
      await app.close();
    }
  }
  t.is(a.hits.jwks, 0, 'issuer A\'s keys are never consulted for a token claiming issuer B');
  await a.close();
  await b.close();
});
