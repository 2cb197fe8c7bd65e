/**
 * DPoP server nonces (RFC 9449 §9) on the core: issue on a proof without nonce, retry, rotation
 * (the next nonce on a successful response), staleness, and stateless sharing across processes
 * that share the secret. Proofs by oauth4webapi, which caches a `DPoP-Nonce` from a response and
 * puts it in its next proof — exactly what a real client does.
 */
import test, { type ExecutionContext } from 'ava';
import * as oauth from 'oauth4webapi';
import { createGuard, type AuthenticateResult, type GuardError, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { createDpopNonces } from '../../packages/core/dist/dpop/nonce.js';
import { readNonceOption } from '../../packages/core/dist/dpop/options.js';
import { parseChallenges } from '../helpers/challenge.js';
import { AUDIENCE, useMockIssuer } from '../helpers/issuer.js';

const RESOURCE_URL = 'https://api.example.test/orders';
const SECRET = 'a shared secret of at least thirty-two bytes';

const issuer = useMockIssuer(test);

/**
 * A client (oauth4webapi DPoP handle + a token bound to it) that talks to a guard the way
 * `protectedResourceRequest` talks to a server: the guard's answer becomes the HTTP response, so
 * the handle caches `DPoP-Nonce` from successes and from `use_dpop_nonce` rejections.
 */
async function client(t: ExecutionContext) {
  const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }));
  const token = await issuer.sign({ cnf: { jkt: await handle.calculateThumbprint() } });
  /** One request; resolves with the guard's result or rejects with its error. */
  const call = async (guard: ReturnType<typeof createGuard>): Promise<AuthenticateResult> => {
    let outcome: { result?: AuthenticateResult; error?: GuardError; proof?: string } = {};
    const settled = oauth.protectedResourceRequest(token, 'GET', new URL(RESOURCE_URL), new Headers(), null, {
      DPoP: handle,
      [oauth.customFetch]: async (_url, init) => {
        const headers = Object.fromEntries(new Headers(init.headers).entries());
        const guardRequest: GuardRequest = { method: 'GET', url: RESOURCE_URL, headers };
        try {
          outcome = { result: await guard.authenticate(guardRequest), proof: headers.dpop };
          return new Response(null, { status: 204, headers: outcome.result!.headers });
        } catch (error) {
          outcome = { error: error as GuardError, proof: headers.dpop };
          return new Response(null, { status: (error as GuardError).status, headers: (error as GuardError).headers });
        }
      },
    });
    // oauth4webapi caches DPoP-Nonce from any response, then throws on a challenge: we want ours.
    await settled.catch((error: unknown) => {
      if (outcome.error === undefined) throw error;
      t.true(oauth.isDPoPNonceError(error) === (outcome.error.code === 'ERR_DPOP_NONCE_REQUIRED'), 'oauth4webapi reads the challenge');
    });
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.result!;
  };
  return { handle, token, call };
}

function guardOf(dpop: GuardOptions['dpop'], clock: { now: number }) {
  return createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, dpop, clock: () => clock.now });
}

async function expectNonceChallenge(t: ExecutionContext, promise: Promise<unknown>): Promise<string> {
  const err = await t.throwsAsync(promise) as GuardError;
  t.is(err?.code, 'ERR_DPOP_NONCE_REQUIRED');
  t.is(err?.status, 401);
  t.is(err?.error, 'use_dpop_nonce');
  const dpop = parseChallenges(err.headers['WWW-Authenticate']).find((challenge) => challenge.scheme === 'DPoP');
  t.is(dpop?.params.error, 'use_dpop_nonce');
  t.truthy(dpop?.params.algs);
  t.regex(err.headers['DPoP-Nonce'] ?? '', /^[A-Za-z0-9_-]{43}$/);
  t.is(err.headers['Cache-Control'], 'no-store');
  return err.headers['DPoP-Nonce']!;
}

test('nonce on: a proof without nonce → use_dpop_nonce with DPoP-Nonce; the retry passes', async (t) => {
  const clock = { now: Date.now() };
  const guard = guardOf({ nonce: true }, clock);
  const { call } = await client(t);
  const nonce = await expectNonceChallenge(t, call(guard));
  const result = await call(guard); // oauth4webapi put the cached nonce into its new proof
  t.truthy(result.auth);
  t.deepEqual(result.headers, {}, 'no new nonce while the current one is valid');
  t.truthy(nonce);
});

test('a wrong, empty or non-string nonce is use_dpop_nonce too', async (t) => {
  const clock = { now: Date.now() };
  const guard = guardOf({ nonce: true }, clock);
  for (const nonce of ['made-up', '', 42]) {
    // oauth4webapi's hook to alter the proof before signing: everything else stays correct.
    const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }), {
      [oauth.modifyAssertion]: (_header, payload) => {
        (payload as Record<string, unknown>).nonce = nonce;
      },
    });
    const token = await issuer.sign({ cnf: { jkt: await handle.calculateThumbprint() } });
    let proof = '';
    await oauth.protectedResourceRequest(token, 'GET', new URL(RESOURCE_URL), new Headers(), null, {
      DPoP: handle,
      [oauth.customFetch]: async (_url, init) => {
        proof = new Headers(init.headers).get('dpop')!;
        return new Response(null, { status: 204 });
      },
    });
    await expectNonceChallenge(t, guard.authenticate({ method: 'GET', url: RESOURCE_URL, headers: { authorization: `DPoP ${token}`, dpop: proof } }));
  }
});

test('rotation: a previous-step nonce is accepted and the response carries the next one', async (t) => {
  const clock = { now: Date.now() };
  const guard = guardOf({ nonce: { secret: SECRET, lifetime: 10 } }, clock);
  const { call } = await client(t);
  const first = await expectNonceChallenge(t, call(guard));
  t.truthy((await call(guard)).auth);
  clock.now += 10_000; // next step: the cached nonce is now the previous one
  const rotated = await call(guard);
  t.truthy(rotated.auth);
  t.regex(rotated.headers['DPoP-Nonce'] ?? '', /^[A-Za-z0-9_-]{43}$/);
  t.not(rotated.headers['DPoP-Nonce'], first);
  t.is(rotated.headers['Cache-Control'], 'no-store');
  const next = await call(guard); // oauth4webapi picked the new nonce up from the success response
  t.deepEqual(next.headers, {});
});

test('a stale nonce (two steps old) is use_dpop_nonce with a fresh one, and the retry passes', async (t) => {
  const clock = { now: Date.now() };
  const guard = guardOf({ nonce: { secret: SECRET, lifetime: 10 } }, clock);
  const { call } = await client(t);
  const first = await expectNonceChallenge(t, call(guard));
  t.truthy((await call(guard)).auth);
  clock.now += 20_000;
  const fresh = await expectNonceChallenge(t, call(guard));
  t.not(fresh, first);
  t.truthy((await call(guard)).auth);
});

test('processes sharing the secret accept each other\'s nonces; other secrets and nonce: true do not', async (t) => {
  const clock = { now: Date.now() };
  const a = guardOf({ nonce: { secret: SECRET } }, clock);
  const b = guardOf({ nonce: { secret: new TextEncoder().encode(SECRET) } }, clock);
  const other = guardOf({ nonce: { secret: `${SECRET}, but another` } }, clock);
  const random1 = guardOf({ nonce: true }, clock);
  const random2 = guardOf({ nonce: true }, clock);
  const { call } = await client(t);
  await expectNonceChallenge(t, call(a));
  t.truthy((await call(b)).auth, 'B accepts the nonce A issued');
  await expectNonceChallenge(t, call(other));
  const second = await client(t);
  await expectNonceChallenge(t, second.call(random1));
  await expectNonceChallenge(t, second.call(random2));
});

test('nonce off: a proof with a nonce is accepted (the nonce is ignored)', async (t) => {
  const clock = { now: Date.now() };
  const { call } = await client(t);
  await expectNonceChallenge(t, call(guardOf({ nonce: true }, clock)));
  t.truthy((await call(guardOf({}, clock))).auth);
});

test('a use_dpop_nonce rejection does not consume the proof\'s jti', async (t) => {
  const clock = { now: Date.now() };
  let adds = 0;
  const { createMemoryStore } = await import('@resource-guard/core');
  const memory = createMemoryStore();
  const guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, dpop: { nonce: true }, clock: () => clock.now,
    store: { get: memory.get, set: memory.set, add: (key, value, ttl) => { adds += 1; return memory.add(key, value, ttl); } },
  });
  const { call } = await client(t);
  await expectNonceChallenge(t, call(guard));
  t.is(adds, 0);
  await call(guard);
  t.is(adds, 1);
});

test('nonce source: current/previous/invalid by time step, memo bounded', (t) => {
  const clock = { now: 1_000_000_000_000 };
  const settings = readNonceOption({ secret: SECRET, lifetime: 60 })!;
  const nonces = createDpopNonces(settings, () => clock.now);
  const first = nonces.current();
  t.is(nonces.check(first), 'current');
  clock.now += 60_000;
  t.is(nonces.check(first), 'previous');
  t.not(nonces.current(), first);
  clock.now += 60_000;
  t.is(nonces.check(first), 'invalid');
  t.is(nonces.check(undefined), 'invalid');
  t.is(nonces.check('x'.repeat(1000)), 'invalid');
  // Same secret, same step → same nonce (stateless); another secret → another nonce.
  t.is(createDpopNonces(settings, () => clock.now).current(), nonces.current());
  t.not(createDpopNonces(readNonceOption({ secret: `${SECRET}!` })!, () => clock.now).current(), nonces.current());
  t.is(readNonceOption(false), undefined);
  t.is(readNonceOption(undefined), undefined);
  t.is(readNonceOption(true)!.secret.length, 32);
});
