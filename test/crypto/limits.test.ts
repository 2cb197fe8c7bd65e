/**
 * What the WebCrypto backend cannot do is refused at start-up with a `TypeError` naming the option
 * (private keys: JWE decryption, signed metadata); on the node:crypto backend the same options load.
 * Runs in both test passes (`ava.webcrypto.config.js` forces the WebCrypto backend).
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { CRYPTO_BACKEND, createGuard, type GuardOptions } from '@resource-guard/core';

const base = { issuer: 'https://as.example.test', audience: 'https://api.example.test', jwksUri: 'https://as.example.test/jwks' };
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const PRIVATE_KEY_OPTIONS: Array<[string, Partial<GuardOptions>, RegExp]> = [
  ['encryptedTokens', { encryptedTokens: { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256' }] } }, /"encryptedTokens\.keys\[0\]" needs node:crypto/],
  ['encryptedTokens with a JWK', {
    encryptedTokens: { keys: [{ key: rsa.privateKey.export({ format: 'jwk' }), alg: 'RSA-OAEP-256' }] },
  }, /"encryptedTokens\.keys\[0\]" needs node:crypto/],
  ['encryptedTokens dir', { encryptedTokens: { keys: [{ key: new Uint8Array(32), alg: 'dir' }] } }, /"encryptedTokens\.keys\[0\]" needs node:crypto/],
  ['resourceMetadata.signingKey', {
    resourceMetadata: { resource: base.audience, signingKey: { key: ec.privateKey, alg: 'ES256' } },
  }, /"resourceMetadata\.signingKey" needs node:crypto/],
];

for (const [name, options, message] of PRIVATE_KEY_OPTIONS) {
  test(`${name}: ${CRYPTO_BACKEND === 'webcrypto' ? 'a start-up TypeError naming it on the WebCrypto backend' : 'loads on the node:crypto backend'}`, (t) => {
    if (CRYPTO_BACKEND === 'webcrypto') t.throws(() => createGuard({ ...base, ...options }), { instanceOf: TypeError, message });
    else t.truthy(createGuard({ ...base, ...options }));
  });
}
