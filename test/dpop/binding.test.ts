/**
 * DPoP binding rules (RFC 9449 §7.1-7.2) on the core, with oauth4webapi proofs: bound tokens need
 * the DPoP scheme (no Bearer downgrade), the DPoP scheme needs a bound token, `required: true`,
 * introspection-style `token_type: DPoP`, DPoP turned off, and `baseUrl` for `htu` behind proxies.
 */
import test, { type ExecutionContext } from 'ava';
import type * as oauth from 'oauth4webapi';
import { createGuard, type GuardError, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { parseChallenges } from '../helpers/challenge.js';
import { clientHandle, clientProof } from '../helpers/dpop.js';
import { AUDIENCE, useMockIssuer } from '../helpers/issuer.js';

const RESOURCE_URL = 'https://api.example.test/orders';

const issuer = useMockIssuer(test);

const proofFor = (handle: oauth.DPoPHandle, token: string, url = RESOURCE_URL) => clientProof(handle, token, url);

function guardOf(options: Partial<GuardOptions> = {}) {
  return createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, ...options });
}

function request(scheme: string, token: string, proof?: string, overrides: Partial<GuardRequest> = {}): GuardRequest {
  const headers: Record<string, string> = { authorization: `${scheme} ${token}` };
  if (proof !== undefined) headers.dpop = proof;
  return { method: 'GET', url: RESOURCE_URL, headers, ...overrides };
}

/** Asserts the code and that `error` sits in the challenge of `scheme`, and only there. */
async function rejects(t: ExecutionContext, promise: Promise<unknown>, code: string, scheme: 'Bearer' | 'DPoP', error = 'invalid_token') {
  const err = await t.throwsAsync(promise) as GuardError;
  t.is(err?.code as string | undefined, code);
  t.is(err?.status, 401);
  const challenges = parseChallenges(err.headers['WWW-Authenticate']);
  for (const challenge of challenges) {
    t.is(challenge.params.error, challenge.scheme === scheme ? error : undefined, `error of the ${challenge.scheme} challenge`);
  }
  return { err, challenges };
}

test('a DPoP-bound token sent as Bearer is rejected (no downgrade), with or without a proof', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf();
  await rejects(t, guard.authenticate(request('Bearer', token)), 'ERR_DPOP_BEARER_DOWNGRADE', 'Bearer');
  await rejects(t, guard.authenticate(request('Bearer', token, await proofFor(handle, token))), 'ERR_DPOP_BEARER_DOWNGRADE', 'Bearer');
  t.truthy((await guard.authenticate(request('DPoP', token, await proofFor(handle, token)))).auth, 'the same token works with DPoP');
});

test('token_type DPoP without cnf.jkt: Bearer is a downgrade, DPoP has no key to check', async (t) => {
  const { handle } = await clientHandle();
  const token = await issuer.sign({ token_type: 'DPoP' });
  const guard = guardOf();
  await rejects(t, guard.authenticate(request('Bearer', token)), 'ERR_DPOP_BEARER_DOWNGRADE', 'Bearer');
  await rejects(t, guard.authenticate(request('DPoP', token, await proofFor(handle, token))), 'ERR_DPOP_BINDING_INVALID', 'DPoP');
});

test('a cnf.jkt that is not a string fails closed', async (t) => {
  const { handle } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt: 42 } });
  const guard = guardOf();
  await rejects(t, guard.authenticate(request('DPoP', token, await proofFor(handle, token))), 'ERR_DPOP_BINDING_INVALID', 'DPoP');
  await rejects(t, guard.authenticate(request('Bearer', token)), 'ERR_DPOP_BEARER_DOWNGRADE', 'Bearer');
});

test('the DPoP scheme with a token that is not DPoP-bound is invalid_token', async (t) => {
  const { handle } = await clientHandle();
  const token = await issuer.sign();
  const guard = guardOf();
  await rejects(t, guard.authenticate(request('DPoP', token, await proofFor(handle, token))), 'ERR_DPOP_TOKEN_UNBOUND', 'DPoP');
  t.truthy((await guard.authenticate(request('Bearer', token))).auth, 'the same token works as Bearer');
});

test('the scheme name is case-insensitive', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  t.is((await guardOf().authenticate(request('dpop', token, await proofFor(handle, token)))).auth?.scheme, 'DPoP');
});

test('dpop.required: unbound tokens are rejected and only the DPoP scheme is advertised', async (t) => {
  const { handle, jkt } = await clientHandle();
  const guard = guardOf({ dpop: { required: true } });
  const unbound = await issuer.sign();
  const { challenges } = await rejects(t, guard.authenticate(request('Bearer', unbound)), 'ERR_DPOP_REQUIRED', 'DPoP');
  t.deepEqual(challenges.map((challenge) => challenge.scheme), ['DPoP']);
  await rejects(t, guard.authenticate(request('DPoP', unbound, await proofFor(handle, unbound))), 'ERR_DPOP_TOKEN_UNBOUND', 'DPoP');
  const bound = await issuer.sign({ cnf: { jkt } });
  t.truthy((await guard.authenticate(request('DPoP', bound, await proofFor(handle, bound)))).auth);
  const missing = await t.throwsAsync(guard.authenticate({ method: 'GET', url: RESOURCE_URL, headers: {} })) as GuardError;
  t.deepEqual(parseChallenges(missing.headers['WWW-Authenticate']).map((challenge) => challenge.scheme), ['DPoP']);
});

test('without credentials both schemes are advertised, with no error', async (t) => {
  const err = await t.throwsAsync(guardOf({ dpop: { algorithms: ['ES256'] } }).authenticate({ method: 'GET', url: RESOURCE_URL, headers: {} })) as GuardError;
  const challenges = parseChallenges(err.headers['WWW-Authenticate']);
  t.deepEqual(challenges.map((challenge) => [challenge.scheme, challenge.params.error, challenge.params.algs]), [
    ['Bearer', undefined, undefined],
    ['DPoP', undefined, 'ES256'],
  ]);
});

test('dpop: false — bound tokens cannot be used at all (fail closed)', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf({ dpop: false });
  const bearer = await t.throwsAsync(guard.authenticate(request('Bearer', token))) as GuardError;
  t.is(bearer.code, 'ERR_DPOP_BEARER_DOWNGRADE');
  const dpop = await t.throwsAsync(guard.authenticate(request('DPoP', token, await proofFor(handle, token)))) as GuardError;
  t.is(dpop.code, 'ERR_CREDENTIALS_MISSING', 'the DPoP scheme is not recognised');
  t.false(dpop.headers['WWW-Authenticate']?.includes('DPoP'));
});

test('dpop.baseUrl: htu is checked against the public URL, not the one the server saw', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const internal = { url: 'http://10.0.0.5:3000/orders?page=1' };
  const guard = guardOf({ dpop: { baseUrl: 'https://API.example.test/' } });
  t.truthy((await guard.authenticate(request('DPoP', token, await proofFor(handle, token), internal))).auth);
  await rejects(
    t, guard.authenticate(request('DPoP', token, await proofFor(handle, token, 'http://10.0.0.5:3000/orders'), internal)),
    'ERR_DPOP_HTU_MISMATCH', 'DPoP', 'invalid_dpop_proof',
  );
  // Without baseUrl the request's own URL counts (the adapters build it from trust-proxy settings).
  const plain = guardOf();
  await rejects(
    t, plain.authenticate(request('DPoP', token, await proofFor(handle, token), internal)),
    'ERR_DPOP_HTU_MISMATCH', 'DPoP', 'invalid_dpop_proof',
  );
});

test('dpop.baseUrl with a path prefix that the proxy strips', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf({ dpop: { baseUrl: 'https://gateway.example.test/orders-api' } });
  const proof = await proofFor(handle, token, 'https://gateway.example.test/orders-api/orders');
  t.truthy((await guard.authenticate(request('DPoP', token, proof, { url: 'http://127.0.0.1:3000/orders' }))).auth);
});

test('DPoP proofs are not accepted for tokens in the query string (always Bearer there)', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf({ tokenLocations: ['query'] });
  const err = await t.throwsAsync(guard.authenticate({
    method: 'GET', url: `${RESOURCE_URL}?access_token=${token}`, headers: { dpop: await proofFor(handle, token) },
  })) as GuardError;
  t.is(err.code, 'ERR_DPOP_BEARER_DOWNGRADE');
});
