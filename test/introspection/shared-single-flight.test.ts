/**
 * One introspection call per token for every guard sharing a store (as API processes sharing
 * Redis do): the first takes a lease, the others wait for its answer in the store. Guards in one
 * process stand in for processes here; test/redis runs the same over a real redis-server.
 */
import test, { type ExecutionContext } from 'ava';
import { createGuard, createMemoryStore, type Store } from '@resource-guard/core';
import {
  activeBody, optionsFor, requestWith, startEndpoint, storeKey, type Answer, type Endpoint, type ReceivedRequest,
} from '../helpers/introspection.js';

async function endpointFor(t: ExecutionContext, respond: (request: ReceivedRequest) => Answer): Promise<Endpoint> {
  const endpoint = await startEndpoint(respond);
  t.teardown(() => endpoint.close());
  return endpoint;
}

const leaseKey = (token: string) => storeKey(token).replace(/^introspection:/, 'introspection-lease:');
/** The lease's key in the built-in memory store, which keeps short tokens unhashed. */
const memoryLeaseKey = (token: string) => `introspection-lease:${token}`;

/** A store that passes every call to `inner`, except those in `overrides` (`delete: undefined` takes it away). */
function storeOver(inner: Store, overrides: Partial<Store>): Store {
  return {
    get: (key) => inner.get(key),
    set: (key, value, ttl) => inner.set(key, value, ttl),
    add: (key, value, ttl) => inner.add(key, value, ttl),
    delete: (key) => inner.delete!(key),
    ...overrides,
  };
}

test('two guards on one store, 40 concurrent requests for a cold token → exactly 1 upstream call', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody(), delay: 200 }));
  const store = createMemoryStore();
  const guards = [createGuard(optionsFor(endpoint.url, {}, { store })), createGuard(optionsFor(endpoint.url, {}, { store }))];
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => guards[i % 2]!.verify(requestWith('shared-cold'))));
  t.true(results.every((auth) => auth.subject === 'user-123'));
  t.is(endpoint.calls.length, 1);
  t.is(await store.get(memoryLeaseKey('shared-cold')), undefined, 'the lease is given back once the answer is stored');
});

test('a lease whose holder died: the waiting guard calls upstream itself once the request timeout has passed', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody() }));
  const inner = createMemoryStore();
  // As a process that took the lease and crashed would leave it.
  inner.add(leaseKey('orphaned'), 1, 60);
  let looks = 0;
  const store = storeOver(inner, {
    get: (key) => { if (key === leaseKey('orphaned')) looks += 1; return inner.get(key); },
  });
  const guard = createGuard(optionsFor(endpoint.url, { timeout: 400 }, { store }));
  t.is((await guard.verify(requestWith('orphaned'))).subject, 'user-123');
  t.true(looks >= 1, 'it waited for the holder first, looking at the lease');
  t.is(endpoint.calls.length, 1);
});

test('the holder\'s call fails: the lease is given back at once and the other guard makes its own call', async (t) => {
  let failures = 1;
  const endpoint = await endpointFor(t, () => (failures-- > 0 ? { status: 500, body: '', delay: 100 } : { body: activeBody() }));
  const store = createMemoryStore();
  const [a, b] = [createGuard(optionsFor(endpoint.url, { timeout: 20_000 }, { store })), createGuard(optionsFor(endpoint.url, { timeout: 20_000 }, { store }))];
  const first = a.verify(requestWith('flaky'));
  // B starts once A's call has reached the endpoint (counted, not waited for: a busy machine may take longer).
  while (endpoint.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  t.is(await store.get(memoryLeaseKey('flaky')), 1, 'A holds the lease while it calls');
  const started = performance.now();
  const [outcomeA, outcomeB] = await Promise.allSettled([first, b.verify(requestWith('flaky'))]);
  t.is(outcomeA.status, 'rejected');
  t.is(outcomeB.status === 'fulfilled' ? outcomeB.value.subject : undefined, 'user-123');
  t.true(performance.now() - started < 10_000, 'not held for the 20 s timeout');
  t.is(endpoint.calls.length, 2);
});

test('a store without delete takes no lease (a stale one would make everyone wait): each guard calls', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody(), delay: 200 }));
  const inner = createMemoryStore();
  const adds: string[] = [];
  const store = storeOver(inner, {
    add: (key, value, ttl) => { adds.push(key); return inner.add(key, value, ttl); },
    delete: undefined,
  });
  const guards = [createGuard(optionsFor(endpoint.url, {}, { store })), createGuard(optionsFor(endpoint.url, {}, { store }))];
  await Promise.all([guards[0]!.verify(requestWith('no-delete')), guards[1]!.verify(requestWith('no-delete'))]);
  t.deepEqual(adds, []);
  t.is(endpoint.calls.length, 2, 'one per guard (each still coalesces its own requests)');
});

test('a store that cannot take the lease is no reason to wait: the call is made', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody() }));
  const inner = createMemoryStore();
  const store = storeOver(inner, { add: () => { throw new Error('store down'); } });
  const guard = createGuard(optionsFor(endpoint.url, {}, { store }));
  t.is((await guard.verify(requestWith('no-lease'))).subject, 'user-123');
  t.is(endpoint.calls.length, 1);
});

test('another instance stored the answer between our miss and our lease: no second call', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody({ sub: 'from-the-as' }) }));
  const inner = createMemoryStore();
  const store = storeOver(inner, {
    add: (key, value, ttl) => {
      // As an instance that just finished would leave it: the answer stored, its lease given back.
      if (key === leaseKey('raced')) inner.set(storeKey('raced'), { client: 'api-client', response: activeBody({ sub: 'from-the-store' }) }, 60);
      return inner.add(key, value, ttl);
    },
  });
  const guard = createGuard(optionsFor(endpoint.url, {}, { store }));
  t.is((await guard.verify(requestWith('raced'))).subject, 'from-the-store');
  t.is(endpoint.calls.length, 0);
});

test('the holder stores its answer and gives the lease back between a waiter\'s look and its lease check: no second call', async (t) => {
  const endpoint = await endpointFor(t, () => ({ body: activeBody({ sub: 'from-the-as' }) }));
  const inner = createMemoryStore();
  // Another instance holds the lease; it finishes right after this guard's first look at the store.
  inner.add(leaseKey('waiter-raced'), 1, 60);
  let looks = 0;
  const store = storeOver(inner, {
    get: (key) => {
      if (key === storeKey('waiter-raced') && ++looks === 2) {
        // The look that misses (the first was the lookup's own); then the holder finishes.
        const missed = inner.get(key);
        inner.set(storeKey('waiter-raced'), { client: 'api-client', response: activeBody({ sub: 'from-the-store' }) }, 60);
        inner.delete!(leaseKey('waiter-raced'));
        return missed;
      }
      return inner.get(key);
    },
  });
  const guard = createGuard(optionsFor(endpoint.url, {}, { store }));
  t.is((await guard.verify(requestWith('waiter-raced'))).subject, 'from-the-store');
  t.is(endpoint.calls.length, 0);
});
