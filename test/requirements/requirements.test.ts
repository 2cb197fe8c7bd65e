/** The route requirement factories: scopes (all of, any of), claims, step-up (RFC 9470). */
import test from 'ava';
import {
  InsufficientScopeError, requireAnyScope, requireAuthentication, requireClaims, requireScopes, type AuthContext,
} from '@resource-guard/core';

function auth(claims: Record<string, unknown>, scopes: string[] = []): AuthContext {
  return { claims, scopes, scheme: 'Bearer' } as unknown as AuthContext;
}

test('requireScopes: all of, exact and case-sensitive, space-separated strings split', (t) => {
  const requirement = requireScopes('a b', ['c']);
  t.is(requirement.check(auth({}, ['c', 'b', 'a'])), undefined);
  const error = requirement.check(auth({}, ['a', 'b', 'C']));
  t.true(error instanceof InsufficientScopeError);
  t.deepEqual(error?.challengeParams, { scope: 'a b c' });
  t.not(requirement.check(auth({}, ['a', 'b', 'c:all'])), undefined);
});

test('requireAnyScope: one of them', (t) => {
  const requirement = requireAnyScope('a', 'b');
  t.is(requirement.check(auth({}, ['x', 'b'])), undefined);
  t.not(requirement.check(auth({}, ['x', 'ab'])), undefined);
  t.not(requirement.check(auth({}, [])), undefined);
});

test('requireClaims: value, array claim, list of values, predicate', (t) => {
  const requirement = requireClaims({ tenant: 'acme', groups: 'admins', level: [2, 3], verified: (v) => v === true });
  t.is(requirement.check(auth({ tenant: 'acme', groups: ['users', 'admins'], level: 3, verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'acme', groups: ['users'], level: 3, verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'acme', groups: 'admins', level: '3', verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'ACME', groups: 'admins', level: 2, verified: true })), undefined);
  t.not(requirement.check(auth({ tenant: 'acme', groups: 'admins', level: 2, verified: 1 })), undefined);
  t.is(requirement.check(auth({ tenant: 'acme', groups: 'admins', level: 2, verified: false }))?.code, 'ERR_CLAIMS_INSUFFICIENT');
});

test('requireAuthentication: max_age compared in whole seconds (auth_time exactly now − max_age passes)', (t) => {
  const now = 1_700_000_000;
  for (const ms of [0, 1, 500, 999]) {
    const requirement = requireAuthentication({ maxAge: 60, clock: () => now * 1000 + ms });
    t.is(requirement.check(auth({ auth_time: now - 60 })), undefined, `+${ms} ms`);
    t.not(requirement.check(auth({ auth_time: now - 61 })), undefined, `+${ms} ms, one second more`);
  }
});

test('requireAuthentication: acr and max_age (RFC 9470) with challenge parameters', (t) => {
  const now = 2_000_000_000;
  const requirement = requireAuthentication({ acrValues: ['urn:mfa'], maxAge: 300, clock: () => now * 1000 });
  t.is(requirement.check(auth({ acr: 'urn:mfa', auth_time: now - 10 })), undefined);
  const weak = requirement.check(auth({ acr: 'urn:pwd', auth_time: now - 10 }));
  t.is(weak?.error, 'insufficient_user_authentication');
  t.is(weak?.status, 401);
  t.deepEqual(weak?.challengeParams, { acr_values: 'urn:mfa', max_age: '300' });
  t.not(requirement.check(auth({ acr: 'urn:mfa', auth_time: now - 301 })), undefined);
  t.not(requirement.check(auth({ acr: 'urn:mfa' })), undefined);
  t.throws(() => requireAuthentication({}), { instanceOf: TypeError });
});
