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
];

for (const [title, options, message] of bad) {
  test(`createGuard rejects ${title}`, (t) => {
    const error = t.throws(() => createGuard(options as GuardOptions), { instanceOf: TypeError });
    t.regex(error.message, message);
  });
}

test('createGuard accepts loopback http, several issuers and HS256 with a long secret', (t) => {
  t.notThrows(() => createGuard({ ...base, issuer: ['http://127.0.0.1:9000', 'http://localhost:8080/realm'] }));
  t.notThrows(() => createGuard({ ...base, issuer: 'http://as.internal', allowInsecureRequests: true }));
  t.notThrows(() => createGuard({ ...base, secret: 'x'.repeat(32), algorithms: ['HS256'] }));
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
