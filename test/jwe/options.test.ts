/** Start-up validation of `encryptedTokens`: a TypeError naming the option. */
import test from 'ava';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createGuard, type GuardOptions } from '@resource-guard/core';

const base = { issuer: 'https://as.example.test', audience: 'https://api.example.test' };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const rejected: Array<[string, unknown, RegExp]> = [
  ['not an object', true, /"encryptedTokens" must be an object/],
  ['no keys', { keys: [] }, /"encryptedTokens\.keys"/],
  ['unknown member', { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256' }], zip: true }, /unknown option "encryptedTokens\.zip"/],
  ['RSA1_5', { keys: [{ key: rsa.privateKey, alg: 'RSA1_5' }] }, /"encryptedTokens\.keys\[0\]\.alg"/],
  ['PBES2', { keys: [{ key: randomBytes(32), alg: 'PBES2-HS256+A128KW' }] }, /"encryptedTokens\.keys\[0\]\.alg"/],
  ['a public key', { keys: [{ key: rsa.publicKey, alg: 'RSA-OAEP-256' }] }, /"encryptedTokens\.keys\[0\]\.key" must be a private key/],
  ['a private key for dir', { keys: [{ key: rsa.privateKey, alg: 'dir' }] }, /"encryptedTokens\.keys\[0\]\.key" must be a secret key/],
  ['not a key', { keys: [{ key: { kty: 'RSA' }, alg: 'RSA-OAEP-256' }] }, /"encryptedTokens\.keys\[0\]\.key"/],
  ['an empty kid', { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256', kid: '' }] }, /"encryptedTokens\.keys\[0\]\.kid"/],
  ['an unknown key member', { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256', jku: 'x' }] }, /unknown option "encryptedTokens\.keys\[0\]\.jku"/],
  ['an unsupported enc', { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256' }], contentAlgorithms: ['A128KW'] }, /"encryptedTokens\.contentAlgorithms"/],
  ['required not a boolean', { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256' }], required: 'yes' }, /"encryptedTokens\.required"/],
];

for (const [title, value, message] of rejected) {
  test(`encryptedTokens: ${title} → TypeError naming it`, (t) => {
    t.throws(() => createGuard({ ...base, encryptedTokens: value } as GuardOptions), { instanceOf: TypeError, message });
  });
}

test('encryptedTokens: private JWKs and secret bytes are accepted', (t) => {
  const jwk = rsa.privateKey.export({ format: 'jwk' });
  t.notThrows(() => createGuard({ ...base, encryptedTokens: { keys: [{ key: jwk, alg: 'RSA-OAEP-256' }, { key: randomBytes(32), alg: 'dir' }] } }));
});
