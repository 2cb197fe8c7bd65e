/** The in-process store (`createMemoryStore`): TTLs, atomic `add`, the LRU bound, markers that are never evicted. */
import test from 'ava';
import { createMemoryStore } from '@resource-guard/core';

test('memory store: TTL, atomic add, LRU bound', (t) => {
  let now = 1_000_000;
  const store = createMemoryStore({ max: 3, clock: () => now });
  store.set('a', 1, 10);
  t.is(store.get('a'), 1);
  now += 10_000;
  t.is(store.get('a'), undefined, 'expired after its TTL');
  t.true(store.add('k', 1, 5));
  t.false(store.add('k', 2, 5), 'add never overwrites a live key');
  t.is(store.get('k'), 1);
  now += 5_000;
  t.true(store.add('k', 3, 5), 'add succeeds once the previous entry expired');
  for (let i = 0; i < 100; i += 1) store.set(`flood-${i}`, i, 60);
  t.is(store.get('flood-0'), undefined, 'old entries evicted');
  t.is(store.get('flood-99'), 99);
  store.set('zero', 1, 0);
  t.is(store.get('zero'), undefined, 'a TTL of 0 stores nothing');
  t.throws(() => createMemoryStore({ max: 0 }), { instanceOf: TypeError });
});

test('memory store: markers (add) are never evicted by cache writes and fail closed when full', (t) => {
  let now = 1_000_000;
  const store = createMemoryStore({ max: 10, maxMarkers: 3, clock: () => now });
  t.true(store.add('jti-1', 'a', 60));
  for (let i = 0; i < 10_000; i += 1) store.set(`flood-${i}`, i, 60);
  t.false(store.add('jti-1', 'b', 60), 'a flood of cache entries does not evict a live marker');
  t.is(store.get('jti-1'), 'a');
  t.true(store.add('jti-2', 1, 60));
  t.true(store.add('jti-3', 1, 60));
  t.throws(() => store.add('jti-4', 1, 60), { message: /too many live markers/ }, 'full: refuse rather than forget one');
  now += 61_000;
  t.true(store.add('jti-4', 1, 60), 'expired markers make room');
  t.true(store.add('jti-1', 1, 60), 'an expired marker can be set again');
});
