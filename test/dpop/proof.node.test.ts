/**
 * The synchronous DPoP proof check (`verifyDpopProof`, RFC 9449 §4.3) called directly: the RFC's
 * example proof, and the per-verifier cache of checked proof headers. Node-only: the signature is
 * checked in place, which the WebCrypto backend cannot do (`crypto.subtle` is asynchronous; it
 * throws "verifies asynchronously", see packages/core/src/crypto/web-backend.ts). The same proof
 * and the same cache through the guard's asynchronous path are in proof.test.ts.
 */
import test from 'ava';
import { createProofHeaderCache, verifyDpopProof } from '../../packages/core/dist/dpop/verifier.js';
import { clientKey, joseProof, nowSeconds, rawProof, RESOURCE_URL, RFC9449 } from '../helpers/dpop.js';

test('RFC 9449 §7.1: the example proof verifies with the clock at its iat', (t) => {
  const proof = verifyDpopProof(RFC9449.proof, {
    method: 'GET', url: RFC9449.url, accessToken: RFC9449.token, algorithms: new Set(['ES256']),
    now: RFC9449.iat, maxAge: 300, clockTolerance: 5,
  });
  t.deepEqual(proof, { jkt: RFC9449.jkt, jti: 'e1j3V_bKic8-LAEB', iat: RFC9449.iat, nonce: undefined });
});

test('checked proof headers are cached per verifier: bounded, and only when they pass', async (t) => {
  const cache = createProofHeaderCache(2);
  // A wide tolerance: keys are generated between setting `now` and signing the proofs.
  const expected = { method: 'GET', url: RESOURCE_URL, accessToken: undefined, algorithms: new Set(['ES256']), now: nowSeconds(), maxAge: 60, clockTolerance: 60 };
  const key = await clientKey();
  const first = await joseProof({ key });
  verifyDpopProof(first, expected, cache);
  t.is(cache.size, 1);
  const entry = cache.get(first.split('.')[0]!);
  t.truthy(entry);
  verifyDpopProof(await joseProof({ key }), expected, cache);
  t.is(cache.size, 1, 'the same header again is a hit');
  t.is(cache.get(first.split('.')[0]!), entry);
  t.throws(() => verifyDpopProof(rawProof({ key, header: { crit: ['x'] } }), expected, cache));
  const wrongType = await joseProof({ key, header: { typ: 'JWT' } });
  t.throws(() => verifyDpopProof(wrongType, expected, cache));
  t.is(cache.size, 1, 'rejected headers are not cached');
  for (let i = 0; i < 3; i += 1) verifyDpopProof(await joseProof({ key: await clientKey() }), expected, cache);
  t.is(cache.size, 2, 'bounded');
});
