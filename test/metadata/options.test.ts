/**
 * Start-up validation of `resourceMetadata` and of the metadata route: a TypeError naming the
 * option, on both backends. What needs a private signing key is in options.node.test.ts.
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { createResourceMetadataEndpoint } from '@resource-guard/core/adapter';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';

const base = { issuer: 'https://as.example.test', audience: ['https://api.example.test', 'https://api.example.test/mcp'] };
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const rejected: Array<[string, unknown, RegExp]> = [
  ['not an object', 'https://api.example.test', /"resourceMetadata" must be an object/],
  ['resource missing', {}, /"resourceMetadata\.resource"/],
  ['resource not an audience', { resource: 'https://elsewhere.example.test' }, /"resourceMetadata\.resource" must be one of "audience"/],
  ['resource with a fragment', { resource: 'https://api.example.test/mcp#x' }, /"resourceMetadata\.resource" must have no query and no fragment/],
  ['resource with a query', { resource: 'https://api.example.test/mcp?x=1' }, /"resourceMetadata\.resource" must have no query and no fragment/],
  ['resource over plain http off loopback', { resource: 'http://api.example.test' }, /"resourceMetadata\.resource" must use https/],
  ['resource not a URL', { resource: 'api' }, /"resourceMetadata\.resource" must be an absolute URL/],
  ['unknown member', { resource: 'https://api.example.test', scopes: ['a'] }, /unknown option "resourceMetadata\.scopes"/],
  ['empty scopesSupported', { resource: 'https://api.example.test', scopesSupported: [] }, /"resourceMetadata\.scopesSupported"/],
  ['resourceName not a string', { resource: 'https://api.example.test', resourceName: 7 }, /"resourceMetadata\.resourceName"/],
  ['resourceDocumentation not a URL', { resource: 'https://api.example.test', resourceDocumentation: 'docs' }, /"resourceMetadata\.resourceDocumentation"/],
  ['jwksUri over http', { resource: 'https://api.example.test', jwksUri: 'http://keys.example.test' }, /"resourceMetadata\.jwksUri" must use https/],
  ['negative cacheMaxAge', { resource: 'https://api.example.test', cacheMaxAge: -1 }, /"resourceMetadata\.cacheMaxAge"/],
  ['symmetric signing alg', { resource: 'https://api.example.test', signingKey: { key: pair.privateKey, alg: 'HS256' } }, /"resourceMetadata\.signingKey\.alg"/],
  ['unknown signing key member', { resource: 'https://api.example.test', signingKey: { key: pair.privateKey, alg: 'ES256', x5c: [] } }, /unknown option "resourceMetadata\.signingKey\.x5c"/],
];

for (const [title, value, message] of rejected) {
  test(`resourceMetadata: ${title} → TypeError naming it`, (t) => {
    t.throws(() => createGuard({ ...base, resourceMetadata: value } as GuardOptions), { instanceOf: TypeError, message });
  });
}

test('resourceMetadata: a trailing slash of the resource path is dropped from the metadata URL (RFC 9728 §3.1)', (t) => {
  const guard = createGuard({ ...base, audience: 'https://api.example.test/v1/', resourceMetadata: { resource: 'https://api.example.test/v1/' } });
  t.is(createResourceMetadataEndpoint(guard).url, 'https://api.example.test/.well-known/oauth-protected-resource/v1');
});

test('the metadata route needs a guard with resourceMetadata: TypeError at start-up, on both adapters', (t) => {
  const guard = createGuard(base);
  t.throws(() => expressAdapter.protectedResourceMetadata(guard), { instanceOf: TypeError, message: /"resourceMetadata"/ });
  t.throws(() => koaAdapter.protectedResourceMetadata(guard), { instanceOf: TypeError, message: /"resourceMetadata"/ });
});
