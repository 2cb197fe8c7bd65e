/**
 * ID tokens are recognised by what only they carry, on the JWT and the introspection path, under
 * every option; what access tokens of real providers carry (Keycloak's nonce before 25, Okta's and
 * Cognito's auth_time beside their scopes) does not trip the check.
 */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, useMockIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };
const issuer = useMockIssuer(test);
const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, httpTimeout: 30_000, ...options });
// The most permissive claim settings: nothing but the ID-token check stands in the way.
const relaxed = { allowGenericJwtTyp: true, requiredClaims: [] };
const now = () => Math.floor(Date.now() / 1000);

const idTokens: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a nonce', { nonce: 'n-1' }, /claim "nonce"/],
  ['at_hash', { at_hash: 'x' }, /claim "at_hash"/],
  ['c_hash', { c_hash: 'x' }, /claim "c_hash"/],
  ['s_hash (FAPI)', { s_hash: 'x' }, /claim "s_hash"/],
  ['a typ claim "ID" (Keycloak)', { typ: 'ID' }, /claim "typ" "ID"/],
  ['a typ claim "id" in another casing', { typ: 'id' }, /claim "typ" "ID"/],
  ['token_use "id" (Cognito)', { token_use: 'id' }, /claim "token_use" "id"/],
  ['purpose "id" (Curity)', { purpose: 'id' }, /claim "purpose" "id"/],
  ['auth_time without scope or scp', { scope: undefined, auth_time: 1_700_000_000 }, /claim "auth_time" without "scope" or "scp"/],
  ['a nonce beside a typ claim other than Bearer', { nonce: 'n-1', typ: 'Refresh' }, /claim "nonce"/],
];

for (const [title, claims, found] of idTokens) {
  test(`a JWT with ${title} is an ID token, whatever requiredClaims and allowGenericJwtTyp say`, async (t) => {
    const token = await issuer.sign(claims, { header: { typ: 'JWT' } });
    const error = await rejectionOf(guardOf(relaxed).verify(bearerRequest(token)));
    t.is(error.code, 'ERR_TOKEN_ID_TOKEN');
    t.is(error.status, 401);
    t.regex(error.detail!, found);
    t.regex(error.detail!, /no option admits ID tokens/);
    // Under a profile with its own markers too: the check comes first and cannot be configured away.
    t.is((await rejectionOf(guardOf({ profile: 'keycloak', requiredClaims: [] }).verify(bearerRequest(token)))).code, 'ERR_TOKEN_ID_TOKEN');
  });
}

test('what access tokens carry does not make them ID tokens', async (t) => {
  const guard = guardOf(relaxed);
  for (const claims of [
    // Keycloak before 25 (and 25's compatibility mapper) copies the nonce into access tokens, typ "Bearer".
    { nonce: 'n-1', typ: 'Bearer' },
    // Okta, Cognito, Keycloak, Duende: auth_time beside the scopes.
    { auth_time: now() - 60, scope: 'a' },
    { auth_time: now() - 60, scope: undefined, scp: ['a'] },
    { typ: 'Bearer' }, { token_use: 'access' }, { purpose: 'access_token' },
  ]) {
    await t.notThrowsAsync(guard.verify(bearerRequest(await issuer.sign(claims, { header: { typ: 'JWT' } }))), JSON.stringify(claims));
  }
});
