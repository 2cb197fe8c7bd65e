/**
 * The introspection cache (issue 3): hits within the TTL, single flight under concurrency, never
 * past `exp`, per-token keys, TTL 0, failures not cached, bounded memory under a flood.
 */
import test, { type ExecutionContext } from 'ava';
import { createGuard, createMemoryStore, type GuardOptions, type Store } from '@resource-guard/core';
import { findChallenge } from '../helpers/challenge.js';
import { clientKey, signProof } from '../helpers/dpop.js';
import {
  activeBody, assertRejected, optionsFor, recordingLogger, requestWith, startEndpoint, storeKey, memoryStoreKey,
  type Answer, type Endpoint, type ReceivedRequest,
} from '../helpers/introspection.js';

async function endpointFor(t: ExecutionContext, respond: (request: ReceivedRequest) => Answer): Promise<Endpoint> {
  const endpoint = await startEndpoint(respond);
  t.teardown(() => endpoint.close());
  return endpoint;
}

/** A settable clock (epoch ms) starting now. */
function manualClock() {
  let now = Date.now();
  return { now: () => now, advance: (seconds: number) => { now += seconds * 1000; }, seconds: () => Math.floor(now / 1000) };
}

/** A store that records every call and delegates to a memory store (or `inner`). */
function spyStore(inner: Store = createMemoryStore()) {
  const calls: Array<{ op: string; key: string; value?: unknown; ttl?: number }> = [];
  const store: Store = {
    get: (key) => { calls.push({ op: 'get', key }); return inner.get(key); },
    set: (key, value, ttl) => { calls.push({ op: 'set', key, value, ttl }); return inner.set(key, value, ttl); },
    add: (key, value, ttl) => { calls.push({ op: 'add', key, value, ttl }); return inner.add(key, value, ttl); },
  };
  return { store, calls, sets: () => calls.filter((call) => call.op === 'set') };
}

/** A store that ignores TTLs (as a misconfigured shared store might): the guard itself must stop at `exp`. */
function foreverStore(): Store {
  const map = new Map<string, unknown>();
  return {
    get: (key) => map.get(key),
    set: (key, value) => { map.set(key, value); },
    add: (key, value) => (map.has(key) ? false : (map.set(key, value), true)),
  };
}

function guardFor(endpoint: Endpoint, introspection = {}, overrides: Partial<GuardOptions> = {}) {
  return createGuard(optionsFor(endpoint.url, introspection, overrides));
}

test('N sequential requests within the TTL → 1 upstream call', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody() }));
  const guard = guardFor(endpoint);
  for (let i = 0; i < 10; i += 1) t.is((await guard.verify(requestWith('sequential'))).subject, 'user-123');
  t.is(endpoint.calls.length, 1);
});

test('50 concurrent requests on a cold cache → exactly 1 upstream call', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody(), delay: 100 }));
  const guard = guardFor(endpoint);
  const results = await Promise.all(Array.from({ length: 50 }, () => guard.verify(requestWith('concurrent'))));
  t.is(endpoint.calls.length, 1);
  t.true(results.every((auth) => auth.subject === 'user-123'));
  // They share one deep-frozen answer: no request can change what the next one is told.
  t.true(results.every((auth) => Object.isFrozen(auth.claims)));
});

test('cached answers are deep-frozen: a handler that edits its claims cannot change the next verdict', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody({ scope: 'orders:read', ext: { tenant: 'acme' } }) }));
  const guard = guardFor(endpoint);
  const first = await guard.verify(requestWith('edited'));
  const claims = first.claims as Record<string, unknown> & { ext: Record<string, unknown> };
  t.throws(() => { claims.scope = 'orders:write'; }, { instanceOf: TypeError });
  t.throws(() => { claims.ext.tenant = 'evil'; }, { instanceOf: TypeError });
  const second = await guard.verify(requestWith('edited'));
  t.deepEqual(second.scopes, ['orders:read']);
  t.is((second.claims.ext as Record<string, unknown>).tenant, 'acme');
  t.is(endpoint.calls.length, 1);
});

test('an answer a custom store hands back is copied: the store changing its object later changes no verdict', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody({ scope: 'orders:read' }) }));
  // A store that keeps (and hands out) its own mutable copies, as a naive custom store might.
  const held = new Map<string, { response: Record<string, unknown> }>();
  const store: Store = {
    get: (key) => held.get(key),
    set: (key, value) => { held.set(key, structuredClone(value) as { response: Record<string, unknown> }); },
    add: () => true,
  };
  const guard = guardFor(endpoint, {}, { store });
  await guard.verify(requestWith('custom-store'));
  const hit = await guard.verify(requestWith('custom-store'));
  t.deepEqual(hit.scopes, ['orders:read']);
  t.true(Object.isFrozen(hit.claims));
  for (const entry of held.values()) entry.response.scope = 'orders:write admin';
  t.deepEqual(hit.scopes, ['orders:read'], 'the context already handed out is unaffected');
  t.is(hit.claims.scope, 'orders:read');
  t.false(Object.isFrozen([...held.values()][0]!.response), 'the store\'s own object was not frozen under it');
});

test('a shared failed call: every waiter gets 503, nothing cached, the next request calls again', async (t) => {
  let fail = true;
  const endpoint = await endpointFor(t, () => (fail ? { status: 500, body: '', delay: 100 } : { body: activeBody() }));
  const guard = guardFor(endpoint);
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => guard.verify(requestWith('failing'))));
  t.is(endpoint.calls.length, 1);
  t.true(outcomes.every((outcome) => outcome.status === 'rejected' && (outcome.reason as { status: number }).status === 503));
  fail = false;
  t.is((await guard.verify(requestWith('failing'))).subject, 'user-123', 'the failure was not cached');
  t.is(endpoint.calls.length, 2);
});

test('no upstream failure is cached: timeout, 5xx, HTML, 401 → every request calls again', async (t) => {
  const answers: Answer[] = [
    { status: 503, body: '' },
    { headers: { 'content-type': 'text/html' }, body: '<html></html>' },
    { hang: true },
    { status: 401, body: '' },
    { body: { active: 'yes' } },
  ];
  const endpoint = await endpointFor(t, (request) => answers[Number(request.form.get('token')!.split('-')[1])]!);
  const spy = spyStore();
  // Count what the guard sends (a timed-out request may never be seen by the server under load).
  let attempts = 0;
  const countingFetch: typeof fetch = (input, init) => {
    attempts += 1;
    return fetch(input, init);
  };
  const guard = guardFor(endpoint, { timeout: 100 }, { store: spy.store, fetch: countingFetch });
  for (let i = 0; i < answers.length; i += 1) {
    for (let round = 0; round < 2; round += 1) await t.throwsAsync(guard.verify(requestWith(`failure-${i}`)));
  }
  t.is(attempts, answers.length * 2);
  t.is(spy.sets().length, 0, 'nothing stored');
});

test('TTL = min(cacheTtl, exp − now); no exp → cacheTtl; inactive → inactiveCacheTtl', async (t) => {
  const clock = manualClock();
  const exp: Record<string, number | undefined> = { short: clock.seconds() + 30, long: clock.seconds() + 10_000, none: undefined };
  const endpoint = await endpointFor(t, (request) => {
    const token = request.form.get('token')!;
    return { body: token === 'inactive' ? { active: false } : activeBody({ exp: exp[token], iat: clock.seconds() }) };
  });
  const spy = spyStore(createMemoryStore({ clock: clock.now }));
  const guard = guardFor(endpoint, { cacheTtl: 60, inactiveCacheTtl: 7 }, { store: spy.store, clock: clock.now });
  for (const token of ['short', 'long', 'none']) await guard.verify(requestWith(token));
  await t.throwsAsync(guard.verify(requestWith('inactive')));
  const ttls = Object.fromEntries(spy.sets().map((call) => [call.key, call.ttl]));
  t.is(ttls[storeKey('short')], exp.short! - clock.now() / 1000);
  t.is(ttls[storeKey('long')], 60);
  t.is(ttls[storeKey('none')], 60);
  t.is(ttls[storeKey('inactive')], 7);
  const inactiveEntry = spy.sets().find((call) => call.key === storeKey('inactive'))?.value as { response: unknown };
  t.deepEqual(inactiveEntry.response, { active: false }, 'only the verdict of an inactive answer is kept');
});

test('never a cached 200 past exp (memory store and a store that ignores TTLs)', async (t) => {
  for (const makeStore of [(clock: () => number) => createMemoryStore({ clock }), () => foreverStore()]) {
    const clock = manualClock();
    const exp = clock.seconds() + 30;
    let revoked = false;
    const endpoint = await endpointFor(t, () => ({ body: revoked ? { active: false } : activeBody({ exp, iat: clock.seconds() }) }));
    const guard = guardFor(endpoint, { cacheTtl: 60 }, { clock: clock.now, store: makeStore(clock.now) });
    await guard.verify(requestWith('expiring'));
    revoked = true; // from now on only the cache can say "active"
    clock.advance(29);
    t.is((await guard.verify(requestWith('expiring'))).subject, 'user-123', 'cached before exp');
    t.is(endpoint.calls.length, 1);
    clock.advance(1); // exactly exp: clockTolerance would still accept a fresh answer, a cached one must not be served
    await assertRejected(t, guard.verify(requestWith('expiring')), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
    t.is(endpoint.calls.length, 2);
  }
});

test('an inactive result is cached for inactiveCacheTtl, then asked again', async (t) => {
  const clock = manualClock();
  const endpoint = await endpointFor(t, () => ({ body: { active: false } }));
  const guard = guardFor(endpoint, { inactiveCacheTtl: 5 }, { clock: clock.now });
  for (let i = 0; i < 3; i += 1) await assertRejected(t, guard.verify(requestWith('revoked')), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  t.is(endpoint.calls.length, 1);
  clock.advance(5);
  await assertRejected(t, guard.verify(requestWith('revoked')), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  t.is(endpoint.calls.length, 2);
});

test('token A\'s entry never serves token B (prefix, suffix and case variants)', async (t) => {
  const endpoint = await endpointFor(t, (request) => {
    const token = request.form.get('token')!;
    return { body: token === 'ticketA' ? activeBody({ sub: 'A' }) : { active: false } };
  });
  const spy = spyStore();
  const guard = guardFor(endpoint, {}, { store: spy.store });
  t.is((await guard.verify(requestWith('ticketA'))).subject, 'A');
  const variants = ['ticketA=', 'ticketA==', 'ticketAA', 'xticketA', 'ticketB', 'ticketa', 'TICKETA', 'ticket', 'ticketA.'];
  for (const variant of variants) {
    await assertRejected(t, guard.verify(requestWith(variant)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  }
  t.is((await guard.verify(requestWith('ticketA'))).subject, 'A');
  t.is(endpoint.calls.length, 1 + variants.length);
  // Keys are SHA-256 hashes; neither keys nor values contain a token.
  const everything = JSON.stringify(spy.calls);
  for (const token of ['ticketA', ...variants]) t.false(everything.includes(token), token);
  t.true(spy.calls.every((call) => /^introspection:[\w-]{43}$/.test(call.key)));
  t.true(spy.sets().some((call) => call.key === storeKey('ticketA')));
});

test('the built-in memory store keys answers by the whole token: no variant of it is served, a store of yours sees only hashes', async (t) => {
  const endpoint = await endpointFor(t, (request) => {
    const token = request.form.get('token')!;
    return { body: token === 'ticketA' ? activeBody({ sub: 'A' }) : { active: false } };
  });
  const store = createMemoryStore();
  const guard = guardFor(endpoint, {}, { store });
  t.is((await guard.verify(requestWith('ticketA'))).subject, 'A');
  t.not(store.get(memoryStoreKey('ticketA')), undefined, 'in this process: keyed by the token');
  t.is(store.get(storeKey('ticketA')), undefined);
  for (const variant of ['ticketA=', 'ticketAA', 'xticketA', 'ticketa', 'ticket']) {
    await assertRejected(t, guard.verify(requestWith(variant)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  }
  t.is((await guard.verify(requestWith('ticketA'))).subject, 'A');
  t.is(endpoint.calls.length, 6);
  // The same memory store behind a wrapper of the application's: not known to stay in the process.
  const spy = spyStore(createMemoryStore());
  await guardFor(endpoint, {}, { store: spy.store }).verify(requestWith('ticketA'));
  t.true(spy.calls.length > 0 && spy.calls.every((call) => !call.key.includes('ticketA')));
});

test('the memory store hashes tokens over 128 characters, under a key no short token can name', async (t) => {
  const long = `L${'a'.repeat(200)}`;
  const endpoint = await endpointFor(t, (request) => ({ body: request.form.get('token') === long ? activeBody({ sub: 'long' }) : { active: false } }));
  const store = createMemoryStore();
  const guard = guardFor(endpoint, {}, { store });
  t.is((await guard.verify(requestWith(long))).subject, 'long');
  const hash = storeKey(long).slice('introspection:'.length);
  t.not(store.get(`introspection:#${hash}`), undefined, 'the entry is under the hash');
  t.is(store.get(memoryStoreKey(long)), undefined, 'not under the long token itself');
  // The hash itself, sent as a token: its own (inactive) answer, never the long token's.
  await assertRejected(t, guard.verify(requestWith(hash)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  const exactly128 = 'b'.repeat(128);
  await assertRejected(t, guard.verify(requestWith(exactly128)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  t.not(store.get(memoryStoreKey(exactly128)), undefined, '128 characters: still the token itself');
  t.is((await guard.verify(requestWith(long))).subject, 'long');
  t.is(endpoint.calls.length, 3);
});

test('a store whose get() throws at once: a miss by default, a 503 with storeFailure fail-closed', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody() }));
  const throwing = (): Store => ({
    get: () => { throw new Error('store down'); },
    set: () => undefined,
    add: () => false,
  });
  const logger = recordingLogger();
  const open = guardFor(endpoint, {}, { store: throwing(), logger });
  t.is((await open.verify(requestWith('sync-down'))).subject, 'user-123');
  t.is(endpoint.calls.length, 1);
  t.is(logger.lines.length, 1);
  const closed = guardFor(endpoint, { storeFailure: 'fail-closed' }, { store: throwing(), logger: recordingLogger() });
  await assertRejected(t, closed.verify(requestWith('sync-down')), { status: 503, code: 'ERR_INTROSPECTION_STORE_UNAVAILABLE' }, 'sync-down');
  t.is(endpoint.calls.length, 1, 'no call while the cache cannot be read');
});

test('cacheTtl 0: no store use, no coalescing, revocation seen on the next request', async (t) => {
  let revoked = false;
  const endpoint = await endpointFor(t, () => ({ body: revoked ? { active: false } : activeBody(), delay: 20 }));
  const spy = spyStore();
  const guard = guardFor(endpoint, { cacheTtl: 0 }, { store: spy.store });
  await guard.verify(requestWith('uncached'));
  await guard.verify(requestWith('uncached'));
  await Promise.all([guard.verify(requestWith('uncached')), guard.verify(requestWith('uncached'))]);
  t.is(endpoint.calls.length, 4, 'every request introspects');
  revoked = true;
  await assertRejected(t, guard.verify(requestWith('uncached')), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  t.is(spy.calls.length, 0);
});

test('cached claims cannot be altered through a request\'s AuthContext', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody({ roles: ['reader'] }) }));
  const guard = guardFor(endpoint);
  const first = await guard.verify(requestWith('mutable'));
  t.throws(() => {
    (first.claims as Record<string, unknown>).sub = 'admin';
  }, { instanceOf: TypeError }, 'claims are frozen');
  t.throws(() => {
    (first.claims.roles as string[]).push('admin');
  }, { instanceOf: TypeError }, 'nested claims too');
  const second = await guard.verify(requestWith('mutable'));
  t.is(second.subject, 'user-123');
  t.deepEqual(second.claims.roles, ['reader']);
  t.is(endpoint.calls.length, 1);
});

test('concurrent requests sharing a failed call each get their own challenge (Bearer vs DPoP)', async (t) => {
  const endpoint = await endpointFor(t, () => ({ status: 400, body: { error: 'unsupported_token_type' }, delay: 100 }));
  const guard = guardFor(endpoint);
  // A valid proof, so the DPoP request reaches introspection (a bad one is refused before it).
  const proof = await signProof(await clientKey(), 'shared-failure', 'https://api.example.test/orders');
  const [bearer, dpop] = await Promise.allSettled([
    guard.verify(requestWith('shared-failure', 'Bearer')),
    guard.verify(requestWith('shared-failure', 'DPoP', { dpop: proof })),
  ]);
  t.is(endpoint.calls.length, 1);
  const header = (outcome: PromiseSettledResult<unknown>) =>
    (outcome as PromiseRejectedResult).reason.headers['WWW-Authenticate'] as string;
  t.is(findChallenge(header(bearer), 'Bearer')?.params.error, 'invalid_token');
  t.is(findChallenge(header(bearer), 'DPoP')?.params.error, undefined);
  t.is(findChallenge(header(dpop), 'DPoP')?.params.error, 'invalid_token');
  t.is(findChallenge(header(dpop), 'Bearer')?.params.error, undefined);
  t.true((bearer as PromiseRejectedResult).reason instanceof Error);
});

test('a DPoP request with a bad proof is refused before any introspection call', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody({ cnf: { jkt: 'x' } }) }));
  const wrongUrl = await signProof(await clientKey(), 'opaque-token', 'https://elsewhere.example/orders');
  const signature = wrongUrl.slice(wrongUrl.lastIndexOf('.') + 1);
  const forged = `${wrongUrl.slice(0, wrongUrl.lastIndexOf('.') + 1)}${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
  const cases: Array<[Record<string, string>, string]> = [
    [{}, 'ERR_DPOP_PROOF_MISSING'], [{ dpop: 'not.a.proof' }, 'ERR_DPOP_PROOF_MALFORMED'], [{ dpop: wrongUrl }, 'ERR_DPOP_HTU_MISMATCH'],
    [{ dpop: forged }, 'ERR_DPOP_SIGNATURE_INVALID'],
  ];
  // Also with the proof's signature checked on the thread pool: still before any introspection call.
  for (const offloadSignatures of [false, true]) {
    const guard = guardFor(endpoint, {}, { offloadSignatures });
    for (const [headers, code] of cases) {
      const error = await t.throwsAsync(guard.verify(requestWith('opaque-token', 'DPoP', headers))) as unknown as { code: string; status: number; headers: Record<string, string> };
      t.is(error.code, code, `${code}, offloadSignatures: ${offloadSignatures}`);
      t.is(error.status, 401);
      t.is(findChallenge(error.headers['WWW-Authenticate'], 'DPoP')?.params.error, 'invalid_dpop_proof');
    }
  }
  t.is(endpoint.calls.length, 0);
});

test('a shared store: answers are re-checked per guard and kept per introspection client', async (t) => {
  const endpoint = await endpointFor(t, (request) => {
    // The AS answers per client: only "api-client" may see this token.
    const client = Buffer.from(request.headers.authorization!.split(' ')[1]!, 'base64').toString().split(':')[0];
    return { body: client === 'api-client' ? activeBody() : { active: false } };
  });
  const store = createMemoryStore();
  const first = guardFor(endpoint, {}, { store });
  await first.verify(requestWith('shared'));
  // Same client, another audience: the cached answer is judged against *its* audience, no new call.
  const otherAudience = guardFor(endpoint, {}, { store, audience: 'https://other-api.example.test' });
  await assertRejected(t, otherAudience.verify(requestWith('shared')), { status: 401, code: 'ERR_TOKEN_AUDIENCE_INVALID' });
  t.is(endpoint.calls.length, 1);
  // Another client: its own answer, not the cached one.
  const otherClient = guardFor(endpoint, { clientId: 'other-client' }, { store });
  await assertRejected(t, otherClient.verify(requestWith('shared')), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  t.is(endpoint.calls.length, 2);
});

test('a failing store does not take authentication down (treated as a miss, logged once per outage)', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody() }));
  const logger = recordingLogger();
  const memory = createMemoryStore();
  let down = true;
  const broken: Store = {
    get: (key) => (down ? Promise.reject(new Error('store down')) : memory.get(key)),
    set: (key, value, ttl) => {
      if (down) throw new Error('store down');
      return memory.set(key, value, ttl);
    },
    add: () => false,
  };
  const guard = guardFor(endpoint, {}, { store: broken, logger });
  for (let i = 0; i < 3; i += 1) t.is((await guard.verify(requestWith('store-down'))).subject, 'user-123');
  t.is(endpoint.calls.length, 3, 'every request introspected');
  t.is(logger.lines.length, 1, 'one line for the outage, not one per call');
  t.true(logger.lines.every((line) => line.startsWith('warn: ') && !line.includes('store-down')));

  down = false;
  t.is((await guard.verify(requestWith('store-down'))).subject, 'user-123');
  t.is((await guard.verify(requestWith('store-down'))).subject, 'user-123');
  t.is(endpoint.calls.length, 4, 'cached again once the store answers');
  down = true;
  t.is((await guard.verify(requestWith('other'))).subject, 'user-123');
  t.is(logger.lines.length, 2, 'a new outage is reported again');
});

test('storeFailure fail-closed: a store that cannot be read is a 503 and spares the AS; a failed write still serves', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody() }));
  const memory = createMemoryStore();
  let readable = false;
  const store: Store = {
    get: (key) => (readable ? memory.get(key) : Promise.reject(new Error('store down'))),
    set: () => Promise.reject(new Error('store down')),
    add: () => false,
  };
  const guard = guardFor(endpoint, { storeFailure: 'fail-closed' }, { store, logger: recordingLogger() });
  await assertRejected(t, guard.verify(requestWith('closed')), { status: 503, code: 'ERR_INTROSPECTION_STORE_UNAVAILABLE' }, 'closed');
  t.is(endpoint.calls.length, 0, 'no introspection call while the cache cannot be read');
  readable = true;
  t.is((await guard.verify(requestWith('closed'))).subject, 'user-123', 'a miss, then a failed write: still answered');
  t.is(endpoint.calls.length, 1);
  t.throws(() => guardFor(endpoint, { storeFailure: 'fail-open' }), { instanceOf: TypeError, message: /"introspection\.storeFailure"/ });
});

test('a flood of 20,000 distinct tokens keeps a 1,000-entry store within bound; a hot token stays cached', async (t) => {
  let calls = 0;
  const body = JSON.stringify(activeBody());
  const store = createMemoryStore({ max: 1000 });
  const guard = createGuard(optionsFor('https://as.example.test/introspect', {}, {
    store,
    fetch: async () => {
      calls += 1;
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    },
  }));
  const tokens = Array.from({ length: 20_000 }, (_, i) => `flood-${i}`);
  let hotCalls = 0;
  for (let batch = 0; batch < tokens.length; batch += 100) {
    const before = calls;
    await guard.verify(requestWith('hot-token'));
    hotCalls += calls - before;
    const results = await Promise.all(tokens.slice(batch, batch + 100).map((token) => guard.verify(requestWith(token))));
    t.is(results.length, 100);
  }
  t.is(calls, 20_000 + 1, 'every distinct token introspected once, the hot one once');
  t.is(hotCalls, 1, 'the hot token stayed cached');
  let live = 0;
  for (const token of tokens) if (await store.get(memoryStoreKey(token)) !== undefined) live += 1;
  t.true(live <= 1000, `live entries: ${live}`);
  t.true(live > 0);
  t.not(await store.get(memoryStoreKey('hot-token')), undefined);
});
