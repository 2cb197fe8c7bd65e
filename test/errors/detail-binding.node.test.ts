/**
 * `detail` of the rejections of an encrypted access token (JWE, RFC 7516): the header member
 * refused and the configured lists. Node-only: decryption needs a private key, which only the
 * `node` backend has (the WebCrypto backend refuses `encryptedTokens` at start-up,
 * test/crypto/limits.test.ts). The other rejections' details are in detail-binding.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import test from 'ava';
import { CompactEncrypt } from 'jose';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { expectDetail } from '../helpers/detail.js';
import { AUDIENCE, useMockIssuer } from '../helpers/issuer.js';
import { rejection, requestWith } from '../helpers/introspection.js';

const issuer = useMockIssuer(test);

const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, ...options });

test('encrypted tokens: the header member refused and the configured lists', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const guard = guardOf({ encryptedTokens: { keys: [{ key: rsa.privateKey, alg: 'RSA-OAEP-256', kid: 'enc-1' }], contentAlgorithms: ['A256GCM'] } });
  const inner = await issuer.sign();
  const jwe = await new CompactEncrypt(new TextEncoder().encode(inner)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' }).encrypt(rsa.publicKey);
  const withHeader = (header: Record<string, unknown>) => [Buffer.from(JSON.stringify(header)).toString('base64url'), ...jwe.split('.').slice(1)].join('.');
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', zip: 'DEF' }, 'ERR_JWE_ZIP_UNSUPPORTED', /^zip "DEF": compressed tokens are refused/],
    [{ alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', cty: 'JWT' }, 'ERR_JWE_ALG_NOT_ALLOWED', /^JWE alg "PBES2-HS256\+A128KW" is not the alg of any key in encryptedTokens\.keys: \["RSA-OAEP-256"\]$/],
    [{ alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', cty: 'JWT' }, 'ERR_JWE_ENC_NOT_ALLOWED', /^JWE enc "A128CBC-HS256" is not one of encryptedTokens\.contentAlgorithms: \["A256GCM"\]$/],
    [{ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'json' }, 'ERR_JWE_CTY_INVALID', /^JWE cty "json", expected "JWT"/],
  ];
  for (const [header, code, detail] of cases) expectDetail(t, await rejection(t, guard.verify(requestWith(withHeader(header)))), code, detail, [inner]);
  const foreign = await new CompactEncrypt(new TextEncoder().encode(inner)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-1' }).encrypt(stranger.publicKey);
  expectDetail(t, await rejection(t, guard.verify(requestWith(foreign))), 'ERR_JWE_DECRYPTION_FAILED', /^the key of encryptedTokens\.keys for alg "RSA-OAEP-256" and kid "enc-1" does not decrypt it$/, [inner, foreign]);
});
