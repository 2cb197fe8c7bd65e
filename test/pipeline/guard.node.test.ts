/**
 * Where `guard.verify()` checks a signature: in place on the event loop (the default `'auto'`
 * while verifications come one at a time) or on libuv's thread pool (`offloadSignatures`).
 * Node-only: the WebCrypto backend verifies only asynchronously (`crypto.subtle`), so it has
 * neither the synchronous answer nor the pool, and ignores the option (see
 * packages/core/src/crypto/web-backend.ts). The rest of the pipeline is in guard.test.ts.
 */
import test from 'ava';
import { createGuard, type GuardError } from '@resource-guard/core';
import { authenticateNow } from '../helpers/pipeline.js';
import { AUDIENCE, bearerRequest as request, hmacSigner, rawJws, rejectionOf, withIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };

test('offloadSignatures: every algorithm verified on the thread pool, bad signatures still refused', (t) => withIssuer(async (issuer) => {
  const secret = 'an-hmac-secret-of-at-least-32-bytes!';
  const algorithms = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, algorithms: [...algorithms, 'HS256'], secret, offloadSignatures: true, logger: quiet });
  const keys = algorithms.map((alg) => issuer.createKey(alg));
  issuer.published.push(...keys);
  for (const [index, alg] of algorithms.entries()) {
    const token = await issuer.sign({}, { key: keys[index] });
    await guard.verify(request(token)); // keys loaded
    // An event-loop turn passes before the answer: the signature check ran on the thread pool.
    let turned = false;
    setImmediate(() => { turned = true; });
    t.is((await guard.verify(request(token))).subject, 'user-123', alg);
    t.true(turned, `${alg}: the signature check left the event loop`);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${rawJws({}, { ...issuer.claims(), sub: 'admin' }, 'none').split('.')[1]}.${signature}`;
    t.is((await rejectionOf(guard.verify(request(forged)))).code, 'ERR_JWS_SIGNATURE_INVALID', `${alg}: tampered payload`);
    const flipped = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    t.is((await rejectionOf(guard.verify(request(flipped)))).code, 'ERR_JWS_SIGNATURE_INVALID', `${alg}: flipped signature`);
  }
  const hmac = rawJws({ alg: 'HS256', typ: 'at+jwt' }, issuer.claims(), hmacSigner(secret));
  t.is((await guard.verify(request(hmac))).subject, 'user-123', 'HS256 is checked in place');
  const unknownKid = await issuer.sign({}, { key: issuer.createKey('ES256') });
  t.is((await rejectionOf(guard.verify(request(unknownKid)))).code, 'ERR_JWKS_NO_MATCHING_KEY');
}));

// Serial: with the default ('auto'), another test's verification in the same event-loop iteration would send this one to the pool.
test.serial('by default a lone token with loaded keys is answered within the same event-loop turn', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const token = await issuer.sign({});
  await guard.verify(request(token)); // keys loaded
  let turned = false;
  setImmediate(() => { turned = true; });
  t.is((await guard.verify(request(token))).subject, 'user-123');
  t.false(turned, 'no thread-pool hop, no I/O wait');
}));

// The pipeline's two shapes, as runGuard() (test/adapter/run-guard.test.ts) receives them. Serial, as above.
test.serial('the pipeline: the result itself when nothing waits (loaded keys, cache hits), a promise when something does', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet });
  const token = await issuer.sign({});
  const first = authenticateNow(guard, request(token));
  t.true(first instanceof Promise, 'the first token waits for the key set');
  t.is((await first).auth?.subject, 'user-123');
  const now = authenticateNow(guard, request(token));
  t.false(now instanceof Promise, 'keys loaded: no promise');
  t.is((now as { auth?: { subject?: string } }).auth?.subject, 'user-123');

  // A rejection is thrown, rendered like any other; verify() and authenticate() reject instead.
  const elsewhere = await issuer.sign({ aud: 'https://other.example.test' });
  const thrown = t.throws(() => authenticateNow(guard, request(elsewhere))) as GuardError;
  t.is(thrown.code, 'ERR_TOKEN_AUDIENCE_INVALID');
  t.regex(thrown.headers['WWW-Authenticate'] ?? '', /^Bearer .*error="invalid_token"/);
  const rejected = guard.verify(request(elsewhere));
  t.true(rejected instanceof Promise);
  t.is((await rejectionOf(rejected)).code, 'ERR_TOKEN_AUDIENCE_INVALID');
  t.is((await rejectionOf(guard.authenticate({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: 'Bearer a b' } }))).code, 'ERR_REQUEST_MALFORMED_CREDENTIALS');
  t.is((await rejectionOf(guard.verify(request()))).code, 'ERR_CREDENTIALS_MISSING');
  t.deepEqual(authenticateNow(guard, request(), true), { auth: undefined, headers: {} });

  const cached = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, verifiedTokenCache: true });
  await cached.verify(request(token));
  t.false(authenticateNow(cached, request(token)) instanceof Promise, 'a verified-token cache hit');
  const offloaded = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, offloadSignatures: true });
  await offloaded.verify(request(token));
  t.true(authenticateNow(offloaded, request(token)) instanceof Promise, 'the signature is checked on the thread pool');
}));
