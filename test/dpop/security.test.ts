/**
 * Hardening of the DPoP replay guard and proof window: per-key quotas (one client cannot fill the
 * replay store for all), the replay window with nonces, the proof's own clock leeway, and stores
 * whose answers are non-native thenables.
 */
import { createHash, randomUUID } from 'node:crypto';
import test from 'ava';
import { CompactSign } from 'jose';
import { createGuard, createMemoryStore, type GuardError, type GuardOptions, type GuardRequest, type Store } from '@resource-guard/core';
import { ath, clientKey, nowSeconds, type ClientKey } from '../helpers/dpop.js';
import { AUDIENCE, useMockIssuer } from '../helpers/issuer.js';

const URL_ = 'https://api.example.test/orders';

const issuer = useMockIssuer(test);

const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, ...options,
});

async function proof(key: ClientKey, token: string, claims: Record<string, unknown> = {}): Promise<string> {
  const payload = { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token), ...claims };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}

const request = (token: string, dpop: string): GuardRequest => ({
  method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop },
});

async function bound(): Promise<{ key: ClientKey; token: string }> {
  const key = await clientKey();
  return { key, token: await issuer.sign({ cnf: { jkt: key.jkt } }) };
}

test('memory store increment: atomic counter in a fixed window, never evicted by cache writes', (t) => {
  let now = 1_000_000;
  const store = createMemoryStore({ max: 2, maxMarkers: 3, clock: () => now });
  t.is(store.increment!('q', 10), 1);
  t.is(store.increment!('q', 10), 2);
  for (let i = 0; i < 100; i += 1) store.set(`flood-${i}`, i, 60);
  now += 9_000;
  t.is(store.increment!('q', 10), 3, 'a later increment neither resets nor is evicted');
  now += 1_000;
  t.is(store.increment!('q', 10), 1, 'the window is fixed from the first increment: it ended, the count starts again');
  t.true(store.add('a', 1, 60));
  t.true(store.add('b', 1, 60));
  t.throws(() => store.increment!('r', 60), { message: /too many live markers/ }, 'counters count against maxMarkers');
});

test('one key flooding its own proofs is refused alone: other keys keep working (per-key quota)', async (t) => {
  // A store with room for 30 markers and a quota of 10 per key: without the quota, key A's flood
  // fills the store and every other client's DPoP request is a 503.
  const guard = guardOf({ store: createMemoryStore({ maxMarkers: 30 }), dpop: { maxProofsPerKey: 10 } });
  const flooder = await bound();
  const codes: string[] = [];
  for (let i = 0; i < 40; i += 1) {
    try {
      await guard.verify(request(flooder.token, await proof(flooder.key, flooder.token)));
      codes.push('ok');
    } catch (error) {
      codes.push((error as GuardError).code);
    }
  }
  t.is(codes.filter((code) => code === 'ok').length, 10);
  t.true(codes.slice(10).every((code) => code === 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED'), codes.join(' '));
  const refused = await t.throwsAsync(guard.verify(request(flooder.token, await proof(flooder.key, flooder.token)))) as GuardError;
  t.is(refused.status, 503);
  t.is(refused.headers['Retry-After'], String(300 + 2 * 10), 'Retry-After: the replay window');

  for (let i = 0; i < 2; i += 1) {
    const other = await bound();
    const auth = await guard.verify(request(other.token, await proof(other.key, other.token)));
    t.is(auth.scheme, 'DPoP', 'another key is unaffected');
  }
});

test('the quota counter and the replay marker use hashed keys and the replay window', async (t) => {
  const memory = createMemoryStore();
  const calls: Array<[string, string, number]> = [];
  const store: Store = {
    get: (key) => memory.get(key),
    set: (key, value, ttl) => memory.set(key, value, ttl),
    add: (key, value, ttl) => {
      calls.push(['add', key, ttl]);
      return memory.add(key, value, ttl);
    },
    increment: (key, ttl) => {
      calls.push(['increment', key, ttl]);
      return memory.increment!(key, ttl);
    },
  };
  const { key, token } = await bound();
  await guardOf({ store, dpop: { proofMaxAge: 60, clockTolerance: 2 } }).verify(request(token, await proof(key, token)));
  t.deepEqual(calls.map(([op]) => op), ['increment', 'increment', 'add']);
  t.regex(calls[0]![1], /^dpop:quota:[A-Za-z0-9_-]{43}$/);
  t.regex(calls[1]![1], /^dpop:client-quota:[A-Za-z0-9_-]{43}$/, 'the client\'s counter: a hash of issuer and client id');
  t.false(calls[0]![1].includes(key.jkt), 'the thumbprint itself is not the key');
  t.is(calls[0]![2], 64);
  t.is(calls[1]![2], 64);
  t.is(calls[2]![2], 64);
});

test('with nonces on, replay markers live at most two nonce lifetimes', async (t) => {
  const ttls: number[] = [];
  const memory = createMemoryStore();
  const store: Store = { ...memory, add: (key, value, ttl) => (ttls.push(ttl), memory.add(key, value, ttl)) };
  delete (store as Partial<Store>).increment;
  const secret = 'n'.repeat(32);
  const guard = guardOf({ store, dpop: { nonce: { secret, lifetime: 20 }, proofMaxAge: 300, clockTolerance: 5 } });
  const { key, token } = await bound();
  const first = await t.throwsAsync(guard.verify(request(token, await proof(key, token)))) as GuardError;
  t.is(first.code, 'ERR_DPOP_NONCE_REQUIRED');
  const nonce = first.headers['DPoP-Nonce']!;
  await guard.verify(request(token, await proof(key, token, { nonce })));
  t.deepEqual(ttls, [2 * 20 + 5], 'min(proofMaxAge + 2 × tolerance, 2 × lifetime + tolerance)');
});

test('a proof dated 10 s before or after now is accepted by default; 11 s and ±1 h are refused', async (t) => {
  const { key, token } = await bound();
  const now = nowSeconds();
  const guard = guardOf({ clock: () => now * 1000 });
  for (const iat of [now - 10, now + 10, now - 300 - 9]) {
    t.is((await guard.verify(request(token, await proof(key, token, { iat })))).scheme, 'DPoP', `iat ${iat - now}`);
  }
  const codeOf = async (iat: number) => ((await t.throwsAsync(guard.verify(request(token, await proof(key, token, { iat }))))) as GuardError).code;
  t.is(await codeOf(now + 12), 'ERR_DPOP_IAT_FUTURE');
  t.is(await codeOf(now + 3600), 'ERR_DPOP_IAT_FUTURE');
  t.is(await codeOf(now - 3600), 'ERR_DPOP_IAT_EXPIRED');
  t.is(await codeOf(now - 300 - 12), 'ERR_DPOP_IAT_EXPIRED');
});

test('dpop.clockTolerance and dpop.maxProofsPerKey are validated at start-up', (t) => {
  t.throws(() => guardOf({ dpop: { clockTolerance: -1 } }), { instanceOf: TypeError, message: /dpop\.clockTolerance/ });
  t.throws(() => guardOf({ dpop: { maxProofsPerKey: 0 } }), { instanceOf: TypeError, message: /dpop\.maxProofsPerKey/ });
  t.throws(() => guardOf({ dpop: { maxProofsPerKey: '5' as unknown as number } }), { instanceOf: TypeError, message: /dpop\.maxProofsPerKey/ });
});

test('a store answering with non-native thenables: fresh proofs pass, replays are refused', async (t) => {
  const memory = createMemoryStore();
  const thenable = <T>(value: T) => ({ then: (resolve: (value: T) => unknown) => resolve(value) }) as unknown as Promise<T>;
  const store: Store = {
    get: (key) => thenable(memory.get(key)),
    set: (key, value, ttl) => thenable(memory.set(key, value, ttl) as void),
    add: (key, value, ttl) => thenable(memory.add(key, value, ttl) as boolean),
    increment: (key, ttl) => thenable(memory.increment!(key, ttl) as number),
  };
  const guard = guardOf({ store });
  const { key, token } = await bound();
  const used = await proof(key, token);
  t.is((await guard.verify(request(token, used))).scheme, 'DPoP');
  const replay = await t.throwsAsync(guard.verify(request(token, used))) as GuardError;
  t.is(replay.code, 'ERR_DPOP_JTI_REPLAYED');
});

test('a store whose increment fails makes the DPoP request a 503 (fail closed)', async (t) => {
  const memory = createMemoryStore();
  const store: Store = { ...memory, increment: () => Promise.reject(new Error('down')) };
  const { key, token } = await bound();
  const error = await t.throwsAsync(guardOf({ store }).verify(request(token, await proof(key, token)))) as GuardError;
  t.is(error.code, 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE');
  t.is(error.status, 503);
});

/** A store whose calls answer only when the test says so, recording what was asked in which order. */
function deferredStore(options: { withDelete: boolean; failDelete?: boolean }) {
  const inner = createMemoryStore();
  const calls: string[] = [];
  const waiting: Array<() => void> = [];
  const later = <T>(name: string, answer: () => T): Promise<T> => {
    calls.push(name);
    return new Promise<T>((resolve) => waiting.push(() => resolve(answer())));
  };
  const store: Store = {
    get: (key) => inner.get(key),
    set: (key, value, ttl) => inner.set(key, value, ttl),
    add: (key, value, ttl) => later('add', () => inner.add(key, value, ttl) as boolean),
    increment: (key, ttl) => later('increment', () => inner.increment!(key, ttl) as number),
  };
  if (options.withDelete) {
    store.delete = (key) => {
      calls.push('delete');
      if (options.failDelete === true) throw new Error('store down');
      return inner.delete!(key);
    };
  }
  // Answers whatever is waiting, again and again, until the verdict is in.
  const answerAll = async <T>(pending: Promise<T>): Promise<T> => {
    let settled = false;
    const outcome = pending.finally(() => { settled = true; });
    while (!settled) {
      waiting.splice(0).forEach((answer) => answer());
      await new Promise((resolve) => setImmediate(resolve));
    }
    return outcome;
  };
  return { store, calls, inner, answerAll };
}

test('a store with delete: the marker first, then the count; a replay is not counted', async (t) => {
  const { store, calls, answerAll } = deferredStore({ withDelete: true });
  const guard = guardOf({ store });
  const client = await bound();
  const sent = await proof(client.key, client.token);
  t.is((await answerAll(guard.verify(request(client.token, sent)))).scheme, 'DPoP');
  t.deepEqual(calls, ['add', 'increment', 'increment'], 'the marker, then the key\'s and the client\'s counts');
  calls.length = 0;
  const replay = await t.throwsAsync(answerAll(guard.verify(request(client.token, sent)))) as GuardError;
  t.is(replay.code, 'ERR_DPOP_JTI_REPLAYED');
  t.deepEqual(calls, ['add'], 'no increment for a refused replay');
});

test('a store with delete: a proof over its key\'s quota leaves no marker behind', async (t) => {
  const { store, calls, inner, answerAll } = deferredStore({ withDelete: true });
  const guard = guardOf({ store, dpop: { maxProofsPerKey: 2 } });
  const client = await bound();
  const acceptedJti = randomUUID();
  await answerAll(guard.verify(request(client.token, await proof(client.key, client.token, { jti: acceptedJti }))));
  await answerAll(guard.verify(request(client.token, await proof(client.key, client.token))));
  const jti = randomUUID();
  const refused = await t.throwsAsync(answerAll(guard.verify(request(client.token, await proof(client.key, client.token, { jti }))))) as GuardError;
  t.is(refused.code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED');
  t.is(calls.filter((call) => call === 'delete').length, 1);
  const markerOf = (id: string) => `dpop:jti:${createHash('sha256').update(`${client.key.jkt}:${id}`).digest('base64url')}`;
  t.is(inner.get(markerOf(jti)), undefined, 'the refused proof holds no marker');
  t.is(inner.get(markerOf(acceptedJti)), 1, 'an accepted proof does (the probe can find one)');
});

test('a store with delete: a failing delete still refuses the proof over quota (503, not a crash)', async (t) => {
  const { store, answerAll } = deferredStore({ withDelete: true, failDelete: true });
  const guard = guardOf({ store, dpop: { maxProofsPerKey: 1 } });
  const client = await bound();
  await answerAll(guard.verify(request(client.token, await proof(client.key, client.token))));
  const refused = await t.throwsAsync(answerAll(guard.verify(request(client.token, await proof(client.key, client.token))))) as GuardError;
  t.is(refused.code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED');
  t.is(refused.status, 503);
});

test('a store without delete: the marker is written only after the count allowed it', async (t) => {
  const { store, calls, answerAll } = deferredStore({ withDelete: false });
  const guard = guardOf({ store, dpop: { maxProofsPerKey: 1 } });
  const client = await bound();
  await answerAll(guard.verify(request(client.token, await proof(client.key, client.token))));
  t.deepEqual(calls, ['increment', 'increment', 'add']);
  calls.length = 0;
  const refused = await t.throwsAsync(answerAll(guard.verify(request(client.token, await proof(client.key, client.token))))) as GuardError;
  t.is(refused.code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED');
  t.deepEqual(calls, ['increment', 'increment'], 'no marker for a key over its quota');
});

/**
 * A store whose addCounted is built from a memory store's add, increment and delete, as the Redis
 * script runs them (the marker first, both counters only for a new one), recording every call.
 * `legacy`: an addCounted that knows no second counter (the guard then counts the client apart).
 */
function countedStore(answer?: (key: string, counterKey: string) => unknown, legacy = false): { store: Store; calls: string[] } {
  const inner = createMemoryStore();
  const calls: string[] = [];
  const store: Store = {
    get: (key) => inner.get(key),
    set: (key, value, ttl) => inner.set(key, value, ttl),
    add: (key, value, ttl) => { calls.push('add'); return inner.add(key, value, ttl); },
    increment: (key, ttl) => { calls.push('increment'); return inner.increment!(key, ttl); },
    delete: (key) => { calls.push('delete'); return inner.delete!(key); },
    addCounted(key, value, ttl, counterKey, limit, secondKey, secondLimit) {
      calls.push(`addCounted ${key.split(':')[1]} ${counterKey.split(':')[1]} ${ttl} ${limit}`);
      if (answer !== undefined) return answer(key, counterKey) as never;
      const second = legacy ? undefined : secondKey;
      if (inner.add(key, value, ttl) !== true) {
        return { added: false, count: (inner.get(counterKey) as number | undefined) ?? 0, ...(second === undefined ? {} : { clientCount: (inner.get(second) as number | undefined) ?? 0 }) };
      }
      const count = inner.increment!(counterKey, ttl) as number;
      const clientCount = second === undefined ? undefined : inner.increment!(second, ttl) as number;
      const kept = count <= limit && (clientCount === undefined || clientCount <= secondLimit!);
      if (!kept) inner.delete!(key);
      return { added: kept, count, ...(clientCount === undefined ? {} : { clientCount }) };
    },
  };
  return { store, calls };
}

test('a store with addCounted: one call per proof (marker, counter, window, quota), and nothing else', async (t) => {
  const { store, calls } = countedStore();
  const guard = guardOf({ store, dpop: { maxProofsPerKey: 2 } });
  const client = await bound();
  const first = await proof(client.key, client.token);
  t.is((await guard.verify(request(client.token, first))).scheme, 'DPoP');
  t.deepEqual(calls, ['addCounted jti quota 320 2'], 'proofMaxAge 300 + 2 × clockTolerance 10');
  const replay = await t.throwsAsync(guard.verify(request(client.token, first))) as GuardError;
  t.is(replay.code, 'ERR_DPOP_JTI_REPLAYED');
  t.is((await guard.verify(request(client.token, await proof(client.key, client.token)))).scheme, 'DPoP', 'the replay was not counted');
  const over = await t.throwsAsync(guard.verify(request(client.token, await proof(client.key, client.token)))) as GuardError;
  t.is(over.code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED', 'the third fresh proof of this key in the window');
  t.is(over.status, 503);
  t.is(calls.length, 4);
  t.true(calls.every((call) => call.startsWith('addCounted')));
});

test('a store whose addCounted knows no client counter: the guard counts the client with increment', async (t) => {
  const { store, calls } = countedStore(undefined, true);
  const guard = guardOf({ store, dpop: { maxProofsPerClient: 1 } });
  const client = await bound();
  t.is((await guard.verify(request(client.token, await proof(client.key, client.token)))).scheme, 'DPoP');
  t.deepEqual(calls, ['addCounted jti quota 320 10000', 'increment']);
  calls.length = 0;
  const over = await t.throwsAsync(guard.verify(request(client.token, await proof(client.key, client.token)))) as GuardError;
  t.is(over.code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED', 'the client\'s second proof, past maxProofsPerClient 1');
  t.deepEqual(calls, ['addCounted jti quota 320 10000', 'increment', 'delete'], 'its marker taken back');
});

test('a store with addCounted: a count that is not a number is over the quota; a failing call is a 503', async (t) => {
  const client = await bound();
  const notANumber = guardOf({ store: countedStore(() => ({ added: true, count: '1' })).store });
  t.is((await t.throwsAsync(notANumber.verify(request(client.token, await proof(client.key, client.token)))) as GuardError).code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED');
  const noAnswer = guardOf({ store: countedStore(() => undefined).store });
  t.is((await t.throwsAsync(noAnswer.verify(request(client.token, await proof(client.key, client.token)))) as GuardError).code, 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED');
  const failing = guardOf({ store: countedStore(() => Promise.reject(new Error('down'))).store });
  const refused = await t.throwsAsync(failing.verify(request(client.token, await proof(client.key, client.token)))) as GuardError;
  t.is(refused.code, 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE');
  t.is(refused.status, 503);
});

test('createGuard rejects a store whose optional methods are not functions', (t) => {
  const inner = createMemoryStore();
  for (const name of ['increment', 'delete', 'addCounted']) {
    t.throws(() => guardOf({ store: { get: inner.get, set: inner.set, add: inner.add, [name]: true } as unknown as Store }), {
      instanceOf: TypeError, message: /"store" must implement get\(\), set\(\) and add\(\); increment\(\), delete\(\) and addCounted\(\) are optional functions/,
    }, name);
  }
});
