/** Unit tests of the core's building blocks: challenges, store, requirements, context. */
import test from 'ava';
import {
  InsufficientScopeError, InvalidTokenError, createMemoryStore, requireAnyScope,
  requireAuthentication, requireClaims, requireScopes, type AuthContext,
} from '@resource-guard/core';
import { quoteParam } from '@resource-guard/core/adapter';
import { parseChallenges } from './helpers/challenge.js';

function auth(claims: Record<string, unknown>, scopes: string[] = []): AuthContext {
  return { claims, scopes, scheme: 'Bearer' } as unknown as AuthContext;
}

test('quoteParam escapes quotes and backslashes and drops control characters', (t) => {
  t.is(quoteParam('a"b\\c'), '"a\\"b\\\\c"');
  t.is(quoteParam('line\r\nInjected: 1'), '"lineInjected: 1"');
  t.is(quoteParam('ключ'), '""');
  const parsed = parseChallenges(`Bearer realm=${quoteParam('x"y\\z')}, error="invalid_token"`);
  t.is(parsed[0]?.params.realm, 'x"y\\z');
});

test('the challenge parser rejects malformed headers (so case-table checks can fail)', (t) => {
  t.throws(() => parseChallenges('Bearer realm="unterminated'));
  t.throws(() => parseChallenges('Bearer realm="a" error="b"'));
  t.throws(() => parseChallenges('Bearer realm="a",'));
  t.deepEqual(parseChallenges('Bearer realm="a", DPoP algs="ES256 PS256"'), [
    { scheme: 'Bearer', params: { realm: 'a' } },
    { scheme: 'DPoP', params: { algs: 'ES256 PS256' } },
  ]);
});

test('memory store: TTL, atomic add, LRU bound', (t) => {
  let now = 1_000_000;
  const store = createMemoryStore({ max: 3, clock: () => now });
  store.set('a', 1, 10);
  t.is(store.get('a'), 1);
  now += 10_000;
  t.is(store.get('a'), undefined, 'expired after its TTL');
  t.true(store.add('k', 1, 5));
  t.false(store.add('k', 2, 5), 'add never overwrites a live key');
  t.is(store.get('k'), 1);
  now += 5_000;
  t.true(store.add('k', 3, 5), 'add succeeds once the previous entry expired');
  for (let i = 0; i < 100; i += 1) store.set(`flood-${i}`, i, 60);
  t.is(store.get('flood-0'), undefined, 'old entries evicted');
  t.is(store.get('flood-99'), 99);
  store.set('zero', 1, 0);
  t.is(store.get('zero'), undefined, 'a TTL of 0 stores nothing');
  t.throws(() => createMemoryStore({ max: 0 }), { instanceOf: TypeError });
});

test('memory store: markers (add) are never evicted by cache writes and fail closed when full', (t) => {
  let now = 1_000_000;
  const store = createMemoryStore({ max: 10, maxMarkers: 3, clock: () => now });
  t.true(store.add('jti-1', 'a', 60));
  for (let i = 0; i < 10_000; i += 1) store.set(`flood-${i}`, i, 60);
  t.false(store.add('jti-1', 'b', 60), 'a flood of cache entries does not evict a live marker');
  t.is(store.get('jti-1'), 'a');
  t.true(store.add('jti-2', 1, 60));
  t.true(store.add('jti-3', 1, 60));
  t.throws(() => store.add('jti-4', 1, 60), { message: /too many live markers/ }, 'full: refuse rather than forget one');
  now += 61_000;
  t.true(store.add('jti-4', 1, 60), 'expired markers make room');
  t.true(store.add('jti-1', 1, 60), 'an expired marker can be set again');
});

test('requireScopes: all of, exact and case-sensitive, space-separated strings split', (t) => {
  const requirement = requireScopes('a b', ['c']);
  t.is(requirement.check(auth({}, ['c', 'b', 'a'])), undefined);
  const error = requirement.check(auth({}, ['a', 'b', 'C']));
  t.true(error instanceof InsufficientScopeError);
  t.deepEqual(error?.challengeParams, { scope: 'a b c' });
  t.not(requirement.check(auth({}, ['a', 'b', 'c:all'])), undefined);
});

test('requireAnyScope: one of them', (t) => {
  const requirement = requireAnyScope('a', 'b');
  t.is(requirement.check(auth({}, ['x', 'b'])), undefined);
  t.not(requirement.check(auth({}, ['x', 'ab'])), undefined);
  t.not(requirement.check(auth({}, [])), undefined);
});

test('requireClaims: value, array claim, list of values, predicate', (t) => {
  const requirement = requireClaims({ tenant: 'acme', groups: 'admins', level: [2, 3], verified: (v) => v === true });
  t.is(requirement.check(auth({ tenant: 'acme', groups: ['users', 'admins'], level: 3, verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'acme', groups: ['users'], level: 3, verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'acme', groups: 'admins', level: '3', verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'ACME', groups: 'admins', level: 2, verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'acme', groups: 'admins', level: 2, verified: 1 })), undefined);
  t.is(requirement.check(auth({ tenant: 'acme', groups: 'admins', level: 2, verified: false }))?.code, 'ERR_CLAIMS_INSUFFICIENT');
});

test('requireAuthentication: max_age compared in whole seconds (auth_time exactly now − max_age passes)', (t) => {
  const now = 1_700_000_000;
  for (const ms of [0, 1, 500, 999]) {
    const requirement = requireAuthentication({ maxAge: 60, clock: () => now * 1000 + ms });
    t.is(requirement.check(auth({ auth_time: now - 60 })), undefined, `+${ms} ms`);
    t.not(requirement.check(auth({ auth_time: now - 61 })), undefined, `+${ms} ms, one second more`);
  }
});

test('requireAuthentication: acr and max_age (RFC 9470) with challenge parameters', (t) => {
  const now = 2_000_000_000;
  const requirement = requireAuthentication({ acrValues: ['urn:mfa'], maxAge: 300, clock: () => now * 1000 });
  t.is(requirement.check(auth({ acr: 'urn:mfa', auth_time: now - 10 })), undefined);
  const weak = requirement.check(auth({ acr: 'urn:pwd', auth_time: now - 10 }));
  t.is(weak?.error, 'insufficient_user_authentication');
  t.is(weak?.status, 401);
  t.deepEqual(weak?.challengeParams, { acr_values: 'urn:mfa', max_age: '300' });
  t.not(requirement.check(auth({ acr: 'urn:mfa', auth_time: now - 301 })), undefined);
  t.not(requirement.check(auth({ acr: 'urn:mfa' })), undefined);
  t.throws(() => requireAuthentication({}), { instanceOf: TypeError });
});

test('GuardError shape: status, code, expose, headers, error value', (t) => {
  const error = new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED');
  t.is(error.status, 401);
  t.is(error.code, 'ERR_TOKEN_EXPIRED');
  t.is(error.error, 'invalid_token');
  t.true(error.expose);
  t.deepEqual(error.headers, {});
  t.is(error.name, 'InvalidTokenError');
});

test('charset checks: base64url and b64token, including non-ASCII look-alikes', async (t) => {
  const { isBase64Url, isB64Token } = await import('../packages/core/dist/lib/charset.js');
  t.true(isBase64Url('abcXYZ019-_'));
  for (const bad of ['', 'a=b', 'a+b', 'a/b', 'a.b', 'a b', 'ａ', 'a\u0000']) t.false(isBase64Url(bad), JSON.stringify(bad));
  for (const good of ['a', 'a.b~c+d/e-f_g', 'abc==', 'a=']) t.true(isB64Token(good), good);
  for (const bad of ['', '=', '==', 'a=b', '=a', 'a b', 'a,b', 'a"b', 'ä', 'a\tb']) t.false(isB64Token(bad), JSON.stringify(bad));
});

test('4xx GuardErrors skip the stack trace capture; 5xx keep theirs', async (t) => {
  const { UpstreamUnavailableError } = await import('@resource-guard/core');
  const client = new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED');
  t.is(client.stack, 'InvalidTokenError: Token expired');
  const server = new UpstreamUnavailableError('JWKS request failed');
  t.regex(server.stack ?? '', /\n\s+at /);
});

test('checkTokenSyntax: compact JWS shape, other b64token, or 400', async (t) => {
  const { checkTokenSyntax } = await import('../packages/core/dist/lib/charset.js');
  for (const jws of ['a.b.c', 'eyJ-_.x_-.', 'A.B.C0-_']) t.true(checkTokenSyntax(jws), jws);
  for (const other of ['opaque', 'a.b', 'a.b.c.d', 'a.b.c=', 'a+b.c.d', 'a..c', '.b.c', 'a.b~.c']) t.false(checkTokenSyntax(other), other);
  for (const bad of ['a.b.c$', 'a b', 'ä.b.c', 'a.b.c\u0000']) {
    t.is(t.throws(() => checkTokenSyntax(bad))?.message, 'The access token has characters outside the b64token set');
  }
});

test('challenge attacher: the same header as rendering anew, remembered per distinct error, bounded', async (t) => {
  const { createChallengeAttacher, attachChallenge } = await import('../packages/core/dist/http/challenge.js');
  // From the same module graph as the renderer (instanceof decides the Retry-After header).
  const { UpstreamUnavailableError, InvalidTokenError, InsufficientScopeError } = await import('../packages/core/dist/errors/errors.js');
  const settings = { realm: 'api', bearer: true, dpopAlgorithms: ['ES256'] };
  const attach = createChallengeAttacher(settings);
  const tiny = createChallengeAttacher(settings, 2);
  const errors = () => [
    new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED'),
    new InvalidTokenError('Token signature is invalid', 'ERR_JWS_SIGNATURE_INVALID'),
    new InsufficientScopeError('The token lacks a required scope', 'ERR_SCOPE_INSUFFICIENT', { challengeParams: { scope: 'a b' } }),
    // Same message, other parameters: must not be answered with the header rendered for 'a b'.
    new InsufficientScopeError('The token lacks a required scope', 'ERR_SCOPE_INSUFFICIENT', { challengeParams: { scope: 'admin' } }),
    new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED', { scheme: 'DPoP' }),
  ];
  for (let round = 0; round < 3; round += 1) {
    const fresh = errors();
    errors().forEach((error, index) => {
      for (const used of ['Bearer', 'DPoP', undefined] as const) {
        const expected = attachChallenge(fresh[index]!, settings, used).headers['WWW-Authenticate'];
        t.is(attach(error, used).headers['WWW-Authenticate'], expected);
        t.is(tiny(error, used).headers['WWW-Authenticate'], expected, 'with a memory of 2, cleared again and again');
      }
    });
  }
  const bearerOnly = createChallengeAttacher({ realm: 'api', bearer: true, dpopAlgorithms: undefined });
  t.is(bearerOnly(new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED'), 'Bearer').headers['WWW-Authenticate'],
    'Bearer realm="api", error="invalid_token", error_description="Token expired"');
  t.deepEqual(bearerOnly(new UpstreamUnavailableError('JWKS request failed'), 'Bearer').headers, { 'Retry-After': '5' });
});
