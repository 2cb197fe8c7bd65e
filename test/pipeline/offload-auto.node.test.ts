/**
 * `offloadSignatures: 'auto'` (the default): signatures are checked on the event loop while
 * verifications come one at a time, on libuv's thread pool once they overlap. Counted through the
 * backend's `crypto.verify` (a call with a callback is a pooled one), never timed. Overlap is
 * made the way an HTTP server sees it: several callbacks of one event-loop iteration (here
 * `setImmediate` callbacks, which all run in one check phase, with the microtask and tick queues
 * drained between them as between two sockets' I/O callbacks). Node backend only: WebCrypto has
 * no in-place check (every verification is on the pool; test/http/offload-signatures.test.ts).
 */
import test from 'ava';
import { createGuard, type Guard, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { clientKey, signProof } from '../helpers/dpop.js';
import { AUDIENCE, bearerRequest, useMockIssuer } from '../helpers/issuer.js';
import { jwtAnswer, optionsFor, requestWith, signIntrospectionJwt, startEndpoint, type Endpoint } from '../helpers/introspection.js';
import { useKeyOperationCounter } from '../helpers/key-operations.js';

const quiet = { warn() {}, error() {} };
const URL_OF_API = 'https://api.example.test/orders';

const issuer = useMockIssuer(test);
const counter = useKeyOperationCounter(test);

async function guardWith(options: Partial<GuardOptions> = {}): Promise<Guard> {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, ...options });
  await guard.verify(bearerRequest(await issuer.sign())); // keys loaded: the counts below are the requests' own
  return guard;
}

/** Two event-loop iterations with nothing verified: whatever ran before is over. */
const nextIterations = async (): Promise<void> => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** `requests` handed to the guard from separate callbacks of one event-loop iteration. */
async function burst(guard: Guard, requests: GuardRequest[]): Promise<string[]> {
  await nextIterations();
  counter.reset();
  const started = requests.map((request) => new Promise<string>((resolve, reject) => {
    setImmediate(() => guard.verify(request).then((auth) => resolve(auth.subject!), reject));
  }));
  return Promise.all(started);
}

/** `request` alone, handed to the guard from a callback of its own (as an I/O callback would). */
async function lone(guard: Guard, request: GuardRequest): Promise<string> {
  return (await burst(guard, [request]))[0]!;
}

const dpopRequest = async (key: Awaited<ReturnType<typeof clientKey>>, token: string): Promise<GuardRequest> => ({
  method: 'GET', url: URL_OF_API, headers: { authorization: `DPoP ${token}`, dpop: await signProof(key, token, URL_OF_API) },
});

test.serial('default: a lone request is verified in place, on the event loop', async (t) => {
  const guard = await guardWith();
  t.is(await lone(guard, bearerRequest(await issuer.sign())), 'user-123');
  t.is(counter.verify, 1);
  t.is(counter.pooled, 0);
});

test.serial('default: one verification awaited after another (the in-process micro) stays in place', async (t) => {
  const guard = await guardWith();
  const request = bearerRequest(await issuer.sign());
  await nextIterations();
  counter.reset();
  for (let i = 0; i < 20; i++) await guard.verify(request);
  t.is(counter.verify, 20);
  t.is(counter.pooled, 0);
});

test.serial('default: requests overlapping in one event-loop iteration go to the pool, all but the first', async (t) => {
  const guard = await guardWith();
  const requests = await Promise.all(Array.from({ length: 6 }, async () => bearerRequest(await issuer.sign())));
  t.deepEqual(await burst(guard, requests), Array.from({ length: 6 }, () => 'user-123'));
  t.is(counter.verify, 6, 'one signature per token, wherever it is checked');
  t.is(counter.pooled, 5);
  // Once the burst is over, the next lone request is back on the event loop.
  t.is(await lone(guard, requests[0]!), 'user-123');
  t.is(counter.pooled, 0);
});

test.serial('default: an iteration with overlapping requests makes the next one pool too; a quiet iteration resets it', async (t) => {
  const guard = await guardWith();
  const good = await issuer.sign();
  // Refused by its signature's length before any key operation: it counts as a verifying task, but
  // never waits on the pool, so what the next iteration does is the overlap's memory alone.
  const [header, payload] = good.split('.') as [string, string];
  const short = `${header}.${payload}.${'A'.repeat(20)}`;
  await nextIterations();
  counter.reset();
  const outcomes = await new Promise<string[]>((resolve) => {
    const seen: string[] = [];
    const record = (promise: Promise<{ subject?: string }>) => promise.then((auth) => auth.subject!, (error: { code: string }) => error.code).then((outcome) => {
      seen.push(outcome);
      if (seen.length === 3) resolve(seen);
    });
    setImmediate(() => record(guard.verify(bearerRequest(good)))); // iteration 1, first task: in place
    setImmediate(() => {
      record(guard.verify(bearerRequest(short))); // iteration 1, second task: the overlap
      setImmediate(() => record(guard.verify(bearerRequest(good)))); // iteration 2: pooled
    });
  });
  t.deepEqual(outcomes, ['user-123', 'ERR_JWS_SIGNATURE_INVALID', 'user-123']);
  t.is(counter.verify, 2);
  t.is(counter.pooled, 1, 'the request of the iteration after the overlap');
  t.is(await lone(guard, bearerRequest(good)), 'user-123');
  t.is(counter.pooled, 0, 'after a quiet iteration, in place again');
});

test.serial('default: a forged token in a burst is refused on the pool with one verification', async (t) => {
  const guard = await guardWith();
  const [good, forged] = [await issuer.sign(), await issuer.sign({ sub: 'admin' })];
  const [header, payload] = forged.split('.') as [string, string];
  const tampered = `${header}.${payload}.${good.split('.')[2]}`;
  await nextIterations();
  counter.reset();
  const outcomes = await Promise.all([good, tampered].map((token) => new Promise<string>((resolve) => {
    setImmediate(() => guard.verify(bearerRequest(token)).then((auth) => resolve(auth.subject!), (error: { code: string }) => resolve(error.code)));
  })));
  t.deepEqual(outcomes, ['user-123', 'ERR_JWS_SIGNATURE_INVALID']);
  t.is(counter.verify, 2);
  t.is(counter.pooled, 1, 'the second, overlapping, on the pool');
});

test.serial('default: a lone DPoP request checks its proof and its token in place; overlapping ones use the pool', async (t) => {
  const guard = await guardWith();
  const key = await clientKey('ES256');
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  t.is(await lone(guard, await dpopRequest(key, token)), 'user-123');
  t.is(counter.verify, 2, 'the proof and the token');
  t.is(counter.pooled, 0);

  const requests = await Promise.all(Array.from({ length: 4 }, () => dpopRequest(key, token)));
  t.deepEqual(await burst(guard, requests), ['user-123', 'user-123', 'user-123', 'user-123']);
  t.is(counter.verify, 8);
  // The first request's two in place; the three overlapping proofs at least on the pool (their
  // tokens follow in later iterations, on the pool while others still wait there).
  t.true(counter.pooled >= 3 && counter.pooled <= 6, `pooled: ${counter.pooled}`);
});

test.serial('offloadSignatures: false keeps an overlapping burst on the event loop; true pools a lone request', async (t) => {
  const inline = await guardWith({ offloadSignatures: false });
  const requests = await Promise.all(Array.from({ length: 4 }, async () => bearerRequest(await issuer.sign())));
  await burst(inline, requests);
  t.is(counter.verify, 4);
  t.is(counter.pooled, 0);

  const pooled = await guardWith({ offloadSignatures: true });
  t.is(await lone(pooled, requests[0]!), 'user-123');
  t.is(counter.verify, 1);
  t.is(counter.pooled, 1);
});

test.serial('RFC 9701 introspection answers follow offloadSignatures like access tokens', async (t) => {
  const answer = jwtAnswer(await signIntrospectionJwt(issuer));
  const endpoint: Endpoint = await startEndpoint(() => answer);
  t.teardown(() => endpoint.close());
  const guardFor = (offloadSignatures?: boolean) => createGuard({
    ...optionsFor(endpoint.url, { jwtResponse: true, cacheTtl: 0 }, offloadSignatures === undefined ? {} : { offloadSignatures }),
    issuer: issuer.issuer,
  });
  for (const [offloadSignatures, pooled] of [[true, 1], [false, 0], [undefined, 0]] as const) {
    const guard = guardFor(offloadSignatures);
    t.is((await guard.verify(requestWith(`opaque-${String(offloadSignatures)}`))).subject, 'user-123'); // keys loaded
    t.is(await lone(guard, requestWith(`opaque-again-${String(offloadSignatures)}`)), 'user-123');
    t.is(counter.verify, 1, `offloadSignatures: ${String(offloadSignatures)}`);
    t.is(counter.pooled, pooled, `offloadSignatures: ${String(offloadSignatures)}`);
  }
});
