/**
 * The pipeline through `guard.verify()` directly: context contract, key-set policy, challenges, on
 * both backends. Where signatures are checked (in place, on the thread pool) is in
 * guard.node.test.ts.
 */
import test from 'ava';
import { createGuard, createMemoryStore, type GuardOptions, type Store } from '@resource-guard/core';
import { VerifiedTokenCache } from '../../packages/core/dist/pipeline/verified-cache.js';
import { parseChallenges } from '../helpers/challenge.js';
import { authenticateNow } from '../helpers/pipeline.js';
import { AUDIENCE, bearerRequest, hmacSigner, rawJws, rejectionOf, withIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };
const request = bearerRequest;

test('AuthContext carries every contract field; the token is non-enumerable', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const token = await issuer.sign({ scope: 'a b', custom: { x: 1 }, aud: [AUDIENCE, 'other'] });
  const auth = await guard.verify(request(token));
  t.is(auth.token, token);
  t.is(auth.scheme, 'Bearer');
  t.is(auth.format, 'jwt');
  t.is(auth.issuer, issuer.issuer);
  t.is(auth.subject, 'user-123');
  t.is(auth.clientId, 'client-abc');
  t.deepEqual(auth.audience, [AUDIENCE, 'other']);
  t.deepEqual(auth.scopes, ['a', 'b']);
  t.is(typeof auth.expiresAt, 'number');
  t.deepEqual(auth.claims.custom, { x: 1 });
  t.is(auth.confirmation, undefined);
  t.false(JSON.stringify(auth).includes(token));
  t.false(Object.keys(auth).includes('token'));
}));

test('rejections carry status, code and a rendered challenge; the default advertises DPoP too', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const missing = await rejectionOf(guard.verify(request()));
  t.is(missing.status, 401);
  t.is(missing.code, 'ERR_CREDENTIALS_MISSING');
  const challenges = parseChallenges(missing.headers['WWW-Authenticate']);
  t.deepEqual(challenges.map((c) => c.scheme), ['Bearer', 'DPoP']);
  t.is(challenges[0]?.params.error, undefined);
  t.regex(challenges[1]?.params.algs ?? '', /ES256/);

  const expired = await rejectionOf(guard.verify(request(await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 }))));
  t.is(expired.code, 'ERR_TOKEN_EXPIRED');
  const parsed = parseChallenges(expired.headers['WWW-Authenticate']);
  t.is(parsed[0]?.params.error, 'invalid_token');
  t.is(parsed[1]?.params.error, undefined, 'error details only in the challenge of the scheme used');
}));

test('dpop: false advertises Bearer only; dpop.required advertises DPoP only and refuses Bearer tokens', (t) => withIssuer(async (issuer) => {
  const bearerOnly = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, dpop: false, logger: quiet });
  const missing = await rejectionOf(bearerOnly.verify(request()));
  t.deepEqual(parseChallenges(missing.headers['WWW-Authenticate']).map((c) => c.scheme), ['Bearer']);
  const dpopOnly = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, dpop: { required: true }, logger: quiet });
  const refused = await rejectionOf(dpopOnly.verify(request(await issuer.sign())));
  t.is(refused.code, 'ERR_DPOP_REQUIRED');
  t.deepEqual(parseChallenges(refused.headers['WWW-Authenticate']).map((c) => c.scheme), ['DPoP']);
}));

test('a DPoP-scheme request is not recognised when DPoP is off (no credentials)', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, dpop: false, logger: quiet });
  const error = await rejectionOf(guard.verify({ ...request(), headers: { authorization: `DPoP ${await issuer.sign()}` } }));
  t.is(error.code, 'ERR_CREDENTIALS_MISSING');
}));

test('an opaque token without introspection configured → 401 invalid_token', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  for (const token of ['2YotnFZFEjr1zCsicMWpAA', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.e30', `${'x'.repeat(20)}.${'y'.repeat(20)}.${'z'.repeat(20)}.q.r`]) {
    const error = await rejectionOf(guard.verify(request(token)));
    t.is(error.code, 'ERR_TOKEN_FORMAT_UNSUPPORTED', token);
    t.is(error.status, 401);
  }
  t.is(issuer.hits.jwks + issuer.hits.discovery, 0);
}));

test('tokens longer than maxTokenLength are refused before parsing', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, maxTokenLength: 100, logger: quiet });
  const error = await rejectionOf(guard.verify(request(await issuer.sign())));
  t.is(error.code, 'ERR_TOKEN_TOO_LONG');
}));

test('HS256 works only with the configured secret, never with an issuer key', (t) => withIssuer(async (issuer) => {
  const secret = 's'.repeat(32);
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, secret, logger: quiet });
  const good = rawJws({ alg: 'HS256', typ: 'at+jwt' }, issuer.claims(), hmacSigner(secret));
  t.is((await guard.verify(request(good))).subject, 'user-123');
  const wrong = rawJws({ alg: 'HS256', typ: 'at+jwt' }, issuer.claims(), hmacSigner('t'.repeat(32)));
  t.is((await rejectionOf(guard.verify(request(wrong)))).code, 'ERR_JWS_SIGNATURE_INVALID');
  t.is(issuer.hits.jwks, 0, 'HS tokens never consult the key set');
  const asymmetricOnly = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  t.is((await rejectionOf(asymmetricOnly.verify(request(good)))).code, 'ERR_JWT_ALG_NOT_ALLOWED');
}));

test('JWKS: refreshed after jwksCacheMaxAge; a failed refresh keeps serving the previous keys', (t) => withIssuer(async (issuer) => {
  let now = Date.now();
  const options: GuardOptions = { issuer: issuer.issuer, audience: AUDIENCE, jwksCacheMaxAge: 60, clock: () => now, logger: quiet };
  const guard = createGuard(options);
  const token = await issuer.sign();
  await guard.verify(request(token));
  await guard.verify(request(token));
  t.is(issuer.hits.jwks, 1, 'cached');
  now += 61_000;
  issuer.mode = 'error500';
  await guard.verify(request(await issuer.sign({ iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 60 })));
  t.is(issuer.hits.jwks, 2, 'refresh attempted once the set is older than maxAge');
}));

test('JWKS: concurrent first requests share one fetch', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const token = await issuer.sign();
  await Promise.all(Array.from({ length: 20 }, () => guard.verify(request(token))));
  t.is(issuer.hits.jwks, 1);
  t.is(issuer.hits.discovery, 1);
}));

test('JWKS: concurrent tokens of a rotated-in key all wait for the one refetch (none is refused meanwhile)', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  await guard.verify(request(await issuer.sign()));
  const rotated = issuer.createKey('ES256');
  issuer.published = [rotated];
  issuer.mode = 'slow';
  issuer.slowMs = 200;
  const tokens = await Promise.all(Array.from({ length: 10 }, () => issuer.sign({}, { key: rotated })));
  const outcomes = await Promise.allSettled(tokens.map((token) => guard.verify(request(token))));
  t.deepEqual(outcomes.map((outcome) => outcome.status), Array(10).fill('fulfilled'));
  t.is(issuer.hits.jwks, 2, 'one refetch for all of them');
}));

test('JWKS: unknown kids within the cooldown cost no fetch; after it, one more', (t) => withIssuer(async (issuer) => {
  let now = Date.now();
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksCooldown: 30, clock: () => now, logger: quiet });
  await guard.verify(request(await issuer.sign()));
  const stranger = () => issuer.sign({}, { key: issuer.createKey('ES256') });
  for (let i = 0; i < 10; i += 1) t.is((await rejectionOf(guard.verify(request(await stranger())))).code, 'ERR_JWKS_NO_MATCHING_KEY');
  t.is(issuer.hits.jwks, 2);
  now += 31_000;
  const rotated = issuer.createKey('ES256');
  issuer.published.push(rotated);
  const claims = { iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 60 };
  t.is((await guard.verify(request(await issuer.sign(claims, { key: rotated })))).subject, 'user-123');
  t.is(issuer.hits.jwks, 3);
}));

test('JWKS entries that must not verify are skipped: private, enc, wrong key_ops, wrong alg', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const key = issuer.published[0]!;
  const variants = [
    { ...key.publicJwk, use: 'enc' },
    { ...key.publicJwk, key_ops: ['encrypt'] },
    { ...key.publicJwk, alg: 'ES384' },
    { ...(key.privateKey.export({ format: 'jwk' }) as object), kid: key.kid },
  ];
  for (const jwk of variants) {
    issuer.published = [{ ...key, publicJwk: jwk as typeof key.publicJwk }];
    const fresh = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
    t.is((await rejectionOf(fresh.verify(request(await issuer.sign({}, { key }))))).code, 'ERR_JWKS_NO_MATCHING_KEY', JSON.stringify(Object.keys(jwk)));
  }
  t.truthy(guard);
}));

test('verifiedTokenCache: a hit skips the key set, never outlives exp, never serves another token', (t) => withIssuer(async (issuer) => {
  let now = Date.now();
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, verifiedTokenCache: { max: 2 }, clock: () => now, logger: quiet });
  const nowSeconds = Math.floor(now / 1000);
  const token = await issuer.sign({ exp: nowSeconds + 30 });
  t.is((await guard.verify(request(token))).subject, 'user-123');
  issuer.mode = 'refuse';
  t.is((await guard.verify(request(token))).subject, 'user-123', 'served from the cache while the JWKS is down');
  // Prefix/suffix variants are different tokens: not served from the entry of `token`.
  for (const variant of [`${token}A`, token.slice(0, -1)]) {
    const error = await rejectionOf(guard.verify(request(variant)));
    t.not(error.status, 200);
  }
  now += 36_000;
  t.is((await rejectionOf(guard.verify(request(token)))).code, 'ERR_TOKEN_EXPIRED', 'never past exp (+ tolerance)');
}));

test('token syntax: checked on every cache miss; b64token-but-not-base64url segments are malformed JWTs', (t) => withIssuer(async (issuer) => {
  for (const verifiedTokenCache of [false, true]) {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, verifiedTokenCache, logger: quiet });
    const token = await issuer.sign();
    t.is((await guard.verify(request(token))).subject, 'user-123');
    t.is((await guard.verify(request(token))).subject, 'user-123', 'a second time (a hit when cached)');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // Outside b64token: 400 whether or not a valid token is cached.
    for (const variant of [`${token}$`, `${header}.${payload}.${signature.slice(0, -2)},,`, `${header}.${payload}.${signature}~x`.replace('~', '"')]) {
      const error = await rejectionOf(guard.verify(request(variant)));
      t.is(error.code, 'ERR_REQUEST_MALFORMED_CREDENTIALS', variant.slice(-8));
      t.is(error.status, 400);
    }
    // b64token characters that base64url lacks ('+', '/', '~', '=' padding) in the payload or
    // signature: the compact shape fails, the segment scans run and refuse the JWT.
    // ... and the compact shape with an empty signature segment (recognised as a JWT, then refused).
    for (const variant of [
      `${token}==`, `${header}.${payload}.${signature.slice(0, -1)}+`, `${header}.${payload.slice(0, -1)}~.${signature}`, `${header}.${payload}/.${signature}`,
      `${header}.${payload}.`,
    ]) {
      t.is((await rejectionOf(guard.verify(request(variant)))).code, 'ERR_JWT_MALFORMED', variant.slice(-8));
    }
  }
}));

test('verifiedTokenCache: nbf is re-checked on every hit', (t) => withIssuer(async (issuer) => {
  let now = Date.now();
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, verifiedTokenCache: true, clock: () => now, logger: quiet });
  const token = await issuer.sign({ nbf: Math.floor(now / 1000) + 3 });
  t.is((await guard.verify(request(token))).subject, 'user-123', 'inside the tolerance');
  now -= 10_000;
  t.is((await rejectionOf(guard.verify(request(token)))).code, 'ERR_TOKEN_NOT_YET_VALID');
}));

test('verifiedTokenCache: bounded by max entries (LRU)', (t) => {
  const cache = new VerifiedTokenCache(3, Date.now, 5);
  const exp = Math.floor(Date.now() / 1000) + 60;
  for (let i = 0; i < 1000; i += 1) cache.set(`token-${i}`, { exp });
  t.is(cache.size, 3);
  t.truthy(cache.get('token-999'));
  t.is(cache.get('token-0'), undefined);
  cache.set('expired', { exp: exp - 3600 });
  t.is(cache.get('expired'), undefined, 'an already-expired token is not stored');
});

test('a token without kid and one with kid "" select keys separately (memoised matches)', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  t.is((await guard.verify(request(await issuer.sign({}, { header: { kid: undefined } })))).subject, 'user-123');
  const emptyKid = await issuer.sign({}, { header: { kid: '' } });
  t.is((await rejectionOf(guard.verify(request(emptyKid)))).code, 'ERR_JWKS_NO_MATCHING_KEY');
}));

test('scopes: single and irregular spacing, scp arrays', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  t.deepEqual((await guard.verify(request(await issuer.sign({ scope: 'a b c' })))).scopes, ['a', 'b', 'c']);
  t.deepEqual((await guard.verify(request(await issuer.sign({ scope: ' a  b ' })))).scopes, ['a', 'b']);
  t.deepEqual((await guard.verify(request(await issuer.sign({ scope: '' })))).scopes, []);
  t.deepEqual((await guard.verify(request(await issuer.sign({ scope: undefined, scp: ['x', 'y'] })))).scopes, ['x', 'y']);
}));

test('a remembered JWT header does not make a token with more segments JWT-shaped', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const token = await issuer.sign();
  await guard.verify(request(token)); // its header segment is now remembered
  const [header] = token.split('.');
  for (const variant of [`${token}.extra`, `${header}.onlytwo`, `${header}`]) {
    t.is((await rejectionOf(guard.verify(request(variant)))).code, 'ERR_TOKEN_FORMAT_UNSUPPORTED', variant.slice(-12));
  }
}));

test('an introspection answer without iss is attributed to the issuer only when one is trusted', async (t) => {
  const answer = { active: true, client_id: 'c', scope: 'a', aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 };
  const fetchAnswer: typeof fetch = async () => new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
  const options = {
    audience: AUDIENCE, fetch: fetchAnswer, logger: quiet,
    introspection: { endpoint: 'https://as.example/introspect', clientId: 'rs', clientSecret: 'secret' },
  };
  const single = createGuard({ ...options, issuer: 'https://as.example' });
  t.is((await single.verify(request('opaque-token-1'))).issuer, 'https://as.example');
  const several = createGuard({ ...options, issuer: ['https://as.example', 'https://other.example'] });
  t.is((await several.verify(request('opaque-token-1'))).issuer, undefined);
});

test('the pipeline: an introspection hit in the memory store settles at once; a store answering with a promise does not', async (t) => {
  const answer = { active: true, client_id: 'c', sub: 'opaque-user', aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 };
  let calls = 0;
  const options = {
    issuer: 'https://as.example', audience: AUDIENCE, logger: quiet,
    fetch: (async () => {
      calls += 1;
      return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
    introspection: { endpoint: 'https://as.example/introspect', clientId: 'rs', clientSecret: 'secret' },
  };
  const guard = createGuard(options);
  const miss = authenticateNow(guard, request('opaque-token-1'));
  t.true(miss instanceof Promise);
  t.is((await miss).auth?.subject, 'opaque-user');
  const hit = authenticateNow(guard, request('opaque-token-1'));
  t.false(hit instanceof Promise);
  t.is((hit as { auth?: { subject?: string } }).auth?.subject, 'opaque-user');
  t.is(calls, 1);

  const memory = createMemoryStore();
  const asyncStore: Store = {
    get: async (key) => memory.get(key), set: async (key, value, ttl) => memory.set(key, value, ttl), add: async (key, value, ttl) => memory.add(key, value, ttl),
  };
  const remote = createGuard({ ...options, store: asyncStore });
  await remote.verify(request('opaque-token-1'));
  const later = authenticateNow(remote, request('opaque-token-1'));
  t.true(later instanceof Promise, 'the store answers with a promise');
  t.is((await later).auth?.subject, 'opaque-user');
  t.is(calls, 2, 'one call per guard');
});
