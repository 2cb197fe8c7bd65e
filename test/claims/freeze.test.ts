/** freezeClaims: what makes sharing one verified answer between requests safe. */
import test from 'ava';
import { freezeClaims, isFrozenClaims } from '../../packages/core/dist/claims/claims.js';

test('freezes every level, also below an object someone else froze only shallowly', (t) => {
  const inner = { roles: ['reader'] };
  const claims = { sub: 'user-1', ext: Object.freeze({ inner }) };
  freezeClaims(claims);
  t.true(Object.isFrozen(claims));
  t.true(Object.isFrozen(inner), 'a shallow freeze is not taken as a deep one');
  t.true(Object.isFrozen(inner.roles));
  t.true(isFrozenClaims(claims));
});

test('only roots it froze itself count as shareable', (t) => {
  t.false(isFrozenClaims(Object.freeze({ nested: {} })), 'frozen by someone else: may hold mutable members');
  const claims = freezeClaims({ a: { b: 1 } });
  t.true(isFrozenClaims(claims));
  t.is(freezeClaims(claims), claims, 'a second call returns it as it is');
});

test('a cycle (possible in what a custom store returns) terminates', (t) => {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  t.true(Object.isFrozen(freezeClaims(a)));
});

test('deep nesting does not overflow the stack', (t) => {
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 100_000; i += 1) deep = (deep.next = {}) as Record<string, unknown>;
  freezeClaims(root);
  t.true(Object.isFrozen(deep));
});

test('a verified JWT\'s claims are deep-frozen without the shareable record (freezeTokenClaims)', async (t) => {
  const { freezeTokenClaims } = await import('../../packages/core/dist/claims/claims.js');
  const claims = freezeTokenClaims({ sub: 'user-1', cnf: { jkt: 'x' }, roles: ['a'] });
  t.true(Object.isFrozen(claims) && Object.isFrozen(claims.cnf) && Object.isFrozen(claims.roles));
  t.false(isFrozenClaims(claims), 'only freezeClaims records a root as shareable');
  t.true(isFrozenClaims(freezeClaims(claims)), 'and freezeClaims still can, later');
});
