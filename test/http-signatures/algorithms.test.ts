/** The WebCrypto algorithms behind verification and signing, held to the RFC 9421 Appendix B.2 signatures. */
import { generateKeyPairSync } from 'node:crypto';
import test from 'ava';
import { createSignatureBase, parseMessageSignatures, SIGNATURE_ALGORITHMS, createRequestSignatureVerifier, createRequestSigner } from '@resource-guard/http-signatures';
import { KeyError, resolveKey, signBytes, verifyBytes } from '../../packages/http-signatures/dist/algorithms.js';
import { privateJwk, publicJwk, SHARED_SECRET_JWK, TEST_KEY_ECC_P256, TEST_KEY_ED25519, TEST_KEY_RSA_PSS } from './rfc9421-keys.js';
import { EXAMPLE_REQUEST, EXAMPLE_RESPONSE, VECTORS } from './rfc9421-vectors.js';
import { paymentRequest, withFields } from './signing.js';

const KEYS: Record<string, Record<string, unknown>> = {
  'B.2.1': publicJwk(privateJwk(TEST_KEY_RSA_PSS, 'PS512')),
  'B.2.2': publicJwk(privateJwk(TEST_KEY_RSA_PSS, 'PS512')),
  'B.2.3': publicJwk(privateJwk(TEST_KEY_RSA_PSS, 'PS512')),
  'B.2.4': publicJwk(privateJwk(TEST_KEY_ECC_P256)),
  'B.2.5': SHARED_SECRET_JWK,
  'B.2.6': publicJwk(privateJwk(TEST_KEY_ED25519)),
};

test('the RFC 9421 B.2 signatures verify with the B.1 keys through WebCrypto (rsa-pss-sha512 = PS512, ecdsa-p256-sha256 = ES256, hmac-sha256 = HS256, ed25519 = EdDSA)', async (t) => {
  for (const vector of VECTORS) {
    const section = vector.section.slice(0, 5);
    const [entry] = parseMessageSignatures({ 'signature-input': vector.input, signature: vector.signature });
    const base = createSignatureBase(entry!.input, vector.response === true ? { request: EXAMPLE_REQUEST, response: EXAMPLE_RESPONSE } : { request: EXAMPLE_REQUEST });
    const key = resolveKey(KEYS[section]!, 'verify', SIGNATURE_ALGORITHMS);
    t.true(await verifyBytes(key, entry!.signature, new TextEncoder().encode(base)), section);
    t.false(await verifyBytes(key, entry!.signature, new TextEncoder().encode(`${base}.`)), section);
    t.is(key.httpAlgorithm, { 'B.2.4': 'ecdsa-p256-sha256', 'B.2.5': 'hmac-sha256', 'B.2.6': 'ed25519' }[section] ?? 'rsa-pss-sha512');
  }
  // The deterministic ones sign to the RFC's bytes.
  for (const [section, pem] of [['B.2.6', TEST_KEY_ED25519], ['B.2.5', undefined]] as const) {
    const vector = VECTORS.find((v) => v.section.startsWith(section))!;
    const key = resolveKey(pem === undefined ? SHARED_SECRET_JWK : privateJwk(pem), 'sign', SIGNATURE_ALGORITHMS);
    const signature = await signBytes(key, new TextEncoder().encode(vector.base));
    t.is(`${vector.signature.split('=')[0]}=:${Buffer.from(signature).toString('base64')}:`, vector.signature);
  }
});

test('a key\'s algorithm: from its alg, else its type and curve; refused when it does not fit or is not a JWK', (t) => {
  const all = SIGNATURE_ALGORITHMS;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
  t.is(resolveKey(p384, 'verify', all).algorithm, 'ES384');
  const rsa = publicJwk(privateJwk(TEST_KEY_RSA_PSS));
  t.is(resolveKey(rsa, 'verify', all).algorithm, 'PS256', 'RSA without alg: PS256, the one FAPI 2.0 allows');
  t.is(resolveKey({ ...rsa, alg: 'RS256' }, 'verify', all).httpAlgorithm, 'rsa-v1_5-sha256');
  t.is(resolveKey({ ...rsa, alg: 'PS384' }, 'verify', all).httpAlgorithm, undefined);
  const refused = (jwk: unknown, message: RegExp, allowed = all) => t.throws(() => resolveKey(jwk as never, 'verify', allowed), { instanceOf: KeyError, message });
  refused(null, /not a JWK/);
  refused({ kty: 'OKP', crv: 'X25519', x: 'AAAA' }, /not allowed/);
  refused({ kty: 'EC', crv: 'P-521', x: 'AA', y: 'AA' }, /not allowed/);
  refused({ kty: 'foo' }, /not allowed/);
  refused({ kty: 'RSA', e: 'AQAB' }, /2048/);
  refused({ ...rsa, n: `${'A'.repeat(10)}${'x'.repeat(2800)}` }, /2048/);
  refused({ ...rsa, alg: 'ES256' }, /does not fit/);
  refused({ ...rsa, alg: 'none' }, /not allowed/);
  refused(rsa, /not allowed/, ['ES256']);
});

test('an ES384 client verifies when the verifier allows ES384, and is refused by the FAPI default', async (t) => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const request = paymentRequest();
  const signed = withFields(request, await createRequestSigner({ key: pair.privateKey.export({ format: 'jwk' }), algorithms: ['ES384'] }).sign(request));
  const keys = { keys: [pair.publicKey.export({ format: 'jwk' })] };
  t.is((await createRequestSignatureVerifier({ keys, algorithms: ['ES384'] }).verify(signed)).algorithm, 'ES384');
  await t.throwsAsync(createRequestSignatureVerifier({ keys }).verify(signed), { message: /cannot be used/ });
  t.throws(() => createRequestSigner({ key: pair.privateKey.export({ format: 'jwk' }), algorithms: ['nope'] as never }), { instanceOf: TypeError, message: /algorithms/ });
});
