/** Start-up validation: every bad option throws a TypeError naming it, before any request. */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { protect as expressProtect, requireScopes as expressRequireScopes } from '@resource-guard/express';
import { protect as koaProtect, requireClaims as koaRequireClaims } from '@resource-guard/koa';
import { protect as fastifyProtect, requireAnyScope as fastifyRequireAnyScope } from '@resource-guard/fastify';
import { requireAuthentication as fetchRequireAuthentication, withAuth } from '@resource-guard/fetch';

const base: GuardOptions = { issuer: 'https://as.example.com', audience: 'https://api.example.com' };

const bad: Array<[string, unknown, RegExp]> = [
  ['missing issuer', { audience: 'x' }, /"issuer"/],
  ['empty issuer list', { ...base, issuer: [] }, /"issuer"/],
  ['issuer not a URL', { ...base, issuer: 'as.example.com' }, /"issuer" must be an absolute URL/],
  ['plain-http issuer off loopback', { ...base, issuer: 'http://as.example.com' }, /"issuer" must use https/],
  ['missing audience', { issuer: base.issuer }, /"audience"/],
  ['audience with an empty string', { ...base, audience: ['a', ''] }, /"audience"/],
  ['jwksUri with two issuers', { ...base, issuer: ['https://a.example', 'https://b.example'], jwksUri: 'https://a.example/jwks' }, /"jwksUri"/],
  ['plain-http jwksUri', { ...base, jwksUri: 'http://as.example.com/jwks' }, /"jwksUri" must use https/],
  ['alg none', { ...base, algorithms: ['none'] }, /"algorithms" contains unsupported "none"/],
  ['HS256 without a secret', { ...base, algorithms: ['HS256'] }, /needs "secret"/],
  ['short secret', { ...base, secret: 'short' }, /"secret"/],
  ['negative clockTolerance', { ...base, clockTolerance: -1 }, /"clockTolerance"/],
  ['clockTolerance as a string', { ...base, clockTolerance: '5' }, /"clockTolerance"/],
  ['unknown token location', { ...base, tokenLocations: ['cookie'] }, /"tokenLocations"/],
  ['empty token locations', { ...base, tokenLocations: [] }, /"tokenLocations"/],
  ['realm with a quote', { ...base, realm: 'a"b' }, /"realm"/],
  ['realm with a newline', { ...base, realm: 'a\nb' }, /"realm"/],
  ['requiredClaims not an array', { ...base, requiredClaims: 'sub' }, /"requiredClaims"/],
  ['a typo in an option name', { ...base, audiance: 'x' }, /unknown option "audiance"/],
  ['store without add()', { ...base, store: { get() {}, set() {} } }, /"store"/],
  ['logger without error()', { ...base, logger: { warn() {} } }, /"logger"/],
  ['httpTimeout 0', { ...base, httpTimeout: 0 }, /"httpTimeout"/],
  ['verifiedTokenCache.max 0', { ...base, verifiedTokenCache: { max: 0 } }, /"verifiedTokenCache.max"/],
  ['offloadSignatures as a string', { ...base, offloadSignatures: 'yes' }, /"offloadSignatures"/],
  ['offloadSignatures in capitals', { ...base, offloadSignatures: 'AUTO' }, /"offloadSignatures" must be true, false or "auto"/],
  ['offloadSignatures as a number', { ...base, offloadSignatures: 1 }, /"offloadSignatures" must be true, false or "auto"/],
  ['offloadSignatures null', { ...base, offloadSignatures: null }, /"offloadSignatures" must be true, false or "auto"/],
  // A secret verifies any `iss` a token claims: with several issuers it must be bound to its own.
  ['a secret with several issuers and no secretIssuer', { ...base, issuer: ['https://a.example', 'https://b.example'], secret: 'x'.repeat(32) },
    /"secret" with several issuers .*"secretIssuer"/],
  ['a secret with issuer templates', {
    ...base, issuer: 'https://login.example/{tenantid}/v2.0', tenants: ['t1'], jwksUri: 'https://login.example/keys', secret: 'x'.repeat(32),
  }, /"secretIssuer"/],
  ['secretIssuer naming no configured issuer', { ...base, secret: 'x'.repeat(32), secretIssuer: 'https://other.example' }, /"secretIssuer" must name/],
  ['secretIssuer without a secret', { ...base, secretIssuer: base.issuer }, /"secretIssuer" needs "secret"/],
  // Anyone can obtain a token of these issuers for any audience: the callers must be listed.
  ['profile google without principals', { ...base, profile: 'google' }, /"principals" is required with profile "google"/],
  ['the Google issuer under another profile without principals', { ...base, issuer: 'https://accounts.google.com', allowGenericJwtTyp: true },
    /"principals" is required with issuer \["https:\/\/accounts\.google\.com"\]/],
  ['GitHub Actions\' issuer without principals', { ...base, issuer: ['https://as.example.com', 'https://token.actions.githubusercontent.com'] },
    /"principals" is required with issuer \["https:\/\/token\.actions\.githubusercontent\.com"\]/],
  ['principals as an array', { ...base, profile: 'google', principals: ['a'] }, /"principals" must be/],
  ['principals without a list', { ...base, profile: 'google', principals: {} }, /"principals" must list/],
  ['principals with an empty list', { ...base, profile: 'google', principals: { email: [] } }, /"principals\.email"/],
  ['principals with a typo', { ...base, profile: 'google', principals: { emails: ['a'] } }, /unknown option "principals\.emails"/],
  ['introspection.allowMissingAudience as a string', { ...base, introspection: { clientId: 'c', clientSecret: 's', allowMissingAudience: 'yes' } },
    /"introspection\.allowMissingAudience"/],
];

for (const [title, options, message] of bad) {
  test(`createGuard rejects ${title}`, (t) => {
    const error = t.throws(() => createGuard(options as GuardOptions), { instanceOf: TypeError });
    t.regex(error.message, message);
  });
}

test('createGuard accepts loopback http, several issuers, HS256 with a long secret and every offloadSignatures value', (t) => {
  t.notThrows(() => createGuard({ ...base, issuer: ['http://127.0.0.1:9000', 'http://localhost:8080/realm'] }));
  t.notThrows(() => createGuard({ ...base, issuer: 'http://as.internal', allowInsecureRequests: true }));
  t.notThrows(() => createGuard({ ...base, secret: 'x'.repeat(32), algorithms: ['HS256'] }));
  t.notThrows(() => createGuard({ ...base, issuer: ['https://a.example', 'https://b.example'], secret: 'x'.repeat(32), secretIssuer: ['https://b.example'] }));
  t.notThrows(() => createGuard({ ...base, profile: 'google', principals: (claims) => claims.sub === '1' }));
  for (const offloadSignatures of [true, false, 'auto'] as const) t.notThrows(() => createGuard({ ...base, offloadSignatures }), String(offloadSignatures));
});

test('every adapter refuses to start an open issuer without principals, or an unbound secret', (t) => {
  const google = { ...base, profile: 'google' as const };
  const unbound = { ...base, issuer: ['https://a.example', 'https://b.example'], secret: 'x'.repeat(32) };
  for (const start of [expressProtect, koaProtect, fastifyProtect, (options: GuardOptions) => withAuth(options, () => new Response())]) {
    t.throws(() => start(google), { instanceOf: TypeError, message: /"principals" is required/ });
    t.throws(() => start(unbound), { instanceOf: TypeError, message: /"secretIssuer"/ });
  }
});

test('protect() and withAuth() validate their arguments at start-up in every adapter', (t) => {
  t.throws(() => expressProtect(undefined as never), { instanceOf: TypeError, message: /protect\(\) needs/ });
  t.throws(() => koaProtect({ ...base, optional: 'yes' } as never), { instanceOf: TypeError, message: /"optional"/ });
  t.throws(() => expressProtect({ ...base, optional: false }, { optional: true }), { instanceOf: TypeError, message: /given twice/ });
  t.throws(() => koaProtect({ ...base, issuer: 'ftp://x' }), { instanceOf: TypeError, message: /"issuer"/ });
  t.throws(() => fastifyProtect({ ...base, optional: 1 } as never), { instanceOf: TypeError, message: /"optional"/ });
  t.throws(() => withAuth({ ...base, audience: 42 } as never, () => new Response()), { instanceOf: TypeError, message: /"audience"/ });
});

test('requirement factories validate their arguments at start-up', (t) => {
  t.throws(() => expressRequireScopes(), { instanceOf: TypeError, message: /requireScopes\(\)/ });
  t.throws(() => expressRequireScopes('a"b'), { instanceOf: TypeError });
  t.throws(() => koaRequireClaims({}), { instanceOf: TypeError, message: /requireClaims\(\)/ });
  t.throws(() => koaRequireClaims({ tenant: { nested: true } as never }), { instanceOf: TypeError, message: /"tenant"/ });
  t.throws(() => fastifyRequireAnyScope(), { instanceOf: TypeError, message: /requireAnyScope\(\)/ });
  t.throws(() => fetchRequireAuthentication({} as never), { instanceOf: TypeError });
});

test('dpop: true / mtls: true mean "on with defaults"; false turns them off', (t) => {
  t.notThrows(() => createGuard({ ...base, dpop: true, mtls: true }));
  t.notThrows(() => createGuard({ ...base, dpop: false, mtls: false }));
  t.throws(() => createGuard({ ...base, dpop: 'yes' as never }), { instanceOf: TypeError, message: /"dpop"/ });
});

test('resolveOptions resolves every feature once: no user object reaches the modules', async (t) => {
  const { resolveOptions } = await import('../../packages/core/dist/options/guard-options.js');
  const dpop = { nonce: { secret: 'n'.repeat(32), lifetime: 60 }, baseUrl: 'https://api.example.com/v1/' };
  const mtls = { trustedProxyHeader: 'X-Client-Cert' };
  const introspection = { endpoint: 'https://as.example.com/introspect', clientId: 'rs', clientSecret: 's' };
  const resolved = resolveOptions({ ...base, dpop, mtls, introspection, httpTimeout: 1234 });
  t.not(resolved.dpop as unknown, dpop);
  t.is(resolved.dpop!.baseUrl, 'https://api.example.com/v1');
  t.deepEqual([resolved.dpop!.nonce!.lifetime, resolved.dpop!.nonce!.secret.length], [60, 32]);
  t.deepEqual(resolved.mtls, { required: false, proxyHeader: 'x-client-cert', certificate: undefined });
  t.is(resolved.introspection!.endpoint!.href, 'https://as.example.com/introspect');
  // The guard's own settings are the defaults of the features' settings.
  t.is(resolved.introspection!.timeout, 1234);
  t.is(resolveOptions({ ...base, dpop: false, mtls: false }).dpop, undefined);
  t.is(resolveOptions({ ...base, dpop: false, mtls: false }).mtls, undefined);
  t.deepEqual(resolveOptions({ ...base, dpop: true }).dpop, resolveOptions(base).dpop);
  t.throws(() => resolveOptions({ ...base, mtls: [] as never }), { instanceOf: TypeError, message: /"mtls" must be an object/ });
  t.throws(() => resolveOptions({ ...base, introspection: 'on' as never }), { instanceOf: TypeError, message: /"introspection" must be an object/ });
});
