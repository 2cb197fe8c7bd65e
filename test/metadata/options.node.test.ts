/**
 * Start-up validation of `resourceMetadata.signingKey` (RFC 9728 §2.2 signed metadata): the key
 * itself. Node-only: a private signing key needs `node:crypto`; the WebCrypto backend refuses any
 * key here with one `TypeError` ("needs node:crypto", test/crypto/limits.test.ts). The checks
 * made before the key is read are in options.test.ts, on both backends.
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { createResourceMetadataEndpoint } from '@resource-guard/core/adapter';

const base = { issuer: 'https://as.example.test', audience: ['https://api.example.test', 'https://api.example.test/mcp'] };
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const rejected: Array<[string, unknown, RegExp]> = [
  ['public signing key', { key: pair.publicKey, alg: 'ES256' }, /"resourceMetadata\.signingKey\.key" must be a private key/],
  ['signing key not a key', { key: { kty: 'EC' }, alg: 'ES256' }, /"resourceMetadata\.signingKey\.key"/],
  ['signing key of another type than alg', { key: pair.privateKey, alg: 'RS256' }, /"resourceMetadata\.signingKey\.key" \(ec prime256v1\) cannot sign RS256/],
  ['signing kid empty', { key: pair.privateKey, alg: 'ES256', kid: '' }, /"resourceMetadata\.signingKey\.kid"/],
];

for (const [title, signingKey, message] of rejected) {
  test(`resourceMetadata: ${title} → TypeError naming it`, (t) => {
    const resourceMetadata = { resource: 'https://api.example.test', signingKey };
    t.throws(() => createGuard({ ...base, resourceMetadata } as GuardOptions), { instanceOf: TypeError, message });
  });
}

test('resourceMetadata: a valid configuration is accepted, with a private JWK as signing key', (t) => {
  const jwk = pair.privateKey.export({ format: 'jwk' });
  const guard = createGuard({ ...base, resourceMetadata: { resource: 'https://api.example.test/mcp', signingKey: { key: jwk, alg: 'ES256' } } });
  const endpoint = createResourceMetadataEndpoint(guard);
  t.is(endpoint.url, 'https://api.example.test/.well-known/oauth-protected-resource/mcp');
  t.deepEqual(endpoint.paths, ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']);
  t.false(endpoint.matches('/.well-known/oauth-protected-resource/other'));
});
