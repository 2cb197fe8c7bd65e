/** The claim-rule table and the `validators` option: one set of rules for JWTs, introspection answers and cache hits. */
import test from 'ava';
import { createGuard } from '@resource-guard/core';
import { activeBody, assertRejected, optionsFor, requestWith, startEndpoint } from '../helpers/introspection.js';
import { AUDIENCE, withIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };

const INVALID = { status: 401, code: 'ERR_TOKEN_VALIDATOR_FAILED' };

test('validators on JWTs: exact value, list of values and predicate; a failure is 401 invalid_token', (t) => withIssuer(async (issuer) => {
  const guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, logger: quiet,
    validators: { tenant: 'acme', azp: ['app-1', 'app-2'], roles: (value) => Array.isArray(value) && value.includes('reader') },
  });
  const good = { tenant: 'acme', azp: 'app-2', roles: ['reader'] };
  t.is((await guard.verify(requestWith(await issuer.sign(good)))).subject, 'user-123');
  for (const bad of [{ tenant: 'other' }, { azp: 'app-3' }, { roles: ['writer'] }, { tenant: undefined }]) {
    const token = await issuer.sign({ ...good, ...bad });
    await assertRejected(t, guard.verify(requestWith(token)), INVALID, token);
  }
}));

test('validators run after the built-in rules: an expired token fails as expired, not as a validator failure', (t) => withIssuer(async (issuer) => {
  let calls = 0;
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, validators: { sub: () => { calls += 1; return true; } } });
  const now = Math.floor(Date.now() / 1000);
  await assertRejected(t, guard.verify(requestWith(await issuer.sign({ iat: now - 600, exp: now - 300 }))), { status: 401, code: 'ERR_TOKEN_EXPIRED' });
  t.is(calls, 0);
}));

test('validators on introspection answers: the same table judges opaque tokens', async (t) => {
  const endpoint = await startEndpoint(() => ({ body: activeBody({ tenant: 'acme' }) }));
  try {
    const pass = createGuard(optionsFor(endpoint.url, {}, { validators: { tenant: 'acme' } }));
    t.is((await pass.verify(requestWith('opaque-token-1'))).format, 'opaque');
    const fail = createGuard(optionsFor(endpoint.url, {}, { validators: { tenant: 'other' } }));
    await assertRejected(t, fail.verify(requestWith('opaque-token-2')), INVALID, 'opaque-token-2');
  } finally {
    await endpoint.close();
  }
});

test('validators run again on every verified-token cache hit', (t) => withIssuer(async (issuer) => {
  const revoked = new Set<string>();
  const guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, verifiedTokenCache: true,
    validators: { jti: (value) => !revoked.has(value as string) },
  });
  const token = await issuer.sign({ jti: 'token-1' });
  t.truthy(await guard.verify(requestWith(token)));
  t.truthy(await guard.verify(requestWith(token)), 'a hit');
  revoked.add('token-1');
  await assertRejected(t, guard.verify(requestWith(token)), INVALID, token);
}));

test('bad validators are a TypeError naming the option, at start-up', (t) => {
  const base = { issuer: 'https://as.example.test', audience: AUDIENCE };
  t.throws(() => createGuard({ ...base, validators: 'tenant' as never }), { instanceOf: TypeError, message: /"validators"/ });
  t.throws(() => createGuard({ ...base, validators: { tenant: {} as never } }), { instanceOf: TypeError, message: /validators\.tenant/ });
  t.throws(() => createGuard({ ...base, validators: { tenant: [] } }), { instanceOf: TypeError, message: /validators\.tenant/ });
});
