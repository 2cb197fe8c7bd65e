/**
 * `principals`: the callers accepted from an issuer anyone can obtain tokens of. Lists of azp,
 * verified email and sub; a predicate, judged again on every verified-cache hit.
 */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, useMockIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };
const issuer = useMockIssuer(test);
const guardOf = (options: Partial<GuardOptions>) => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, httpTimeout: 30_000, profile: 'google', ...options,
});
// A Google-signed ID token minted for this audience.
const idToken = (claims: Record<string, unknown>) => issuer.sign({
  client_id: undefined, jti: undefined, scope: undefined, azp: '111', sub: '111', email: 'a@p.iam.gserviceaccount.com', email_verified: true, ...claims,
}, { header: { typ: 'JWT' } });

test('a token passes when one of its azp, verified email or sub is listed', async (t) => {
  await t.notThrowsAsync(guardOf({ principals: { azp: ['111'] } }).verify(bearerRequest(await idToken({}))));
  await t.notThrowsAsync(guardOf({ principals: { sub: ['other', '111'] } }).verify(bearerRequest(await idToken({}))));
  await t.notThrowsAsync(guardOf({ principals: { email: ['a@p.iam.gserviceaccount.com'] } }).verify(bearerRequest(await idToken({}))));
  await t.notThrowsAsync(guardOf({ principals: { azp: ['none'], sub: ['111'] } }).verify(bearerRequest(await idToken({}))));
});

test('an unlisted caller, an unverified email or a non-string claim is refused', async (t) => {
  for (const [principals, claims] of [
    [{ email: ['a@p.iam.gserviceaccount.com'] }, { email_verified: false }],
    [{ email: ['a@p.iam.gserviceaccount.com'] }, { email_verified: 'true' }],
    [{ email: ['a@p.iam.gserviceaccount.com'] }, { email: 'b@p.iam.gserviceaccount.com' }],
    [{ sub: ['111'] }, { sub: '222' }],
    [{ azp: ['111'] }, { azp: 111 }],
  ] as const) {
    const error = await rejectionOf(guardOf({ principals }).verify(bearerRequest(await idToken(claims))));
    t.is(error.code, 'ERR_TOKEN_PRINCIPAL_UNTRUSTED', JSON.stringify(claims));
    t.is(error.status, 401);
    t.false(error.detail!.includes('@'), 'no claim value in the detail');
  }
});

test('a predicate decides with the verified claims; only true accepts; it runs again on every cache hit', async (t) => {
  const allowed = new Set(['111']);
  const guard = guardOf({ principals: (claims) => allowed.has(claims.sub as string), verifiedTokenCache: true });
  const token = await idToken({});
  await t.notThrowsAsync(guard.verify(bearerRequest(token)));
  allowed.delete('111');
  t.is((await rejectionOf(guard.verify(bearerRequest(token)))).code, 'ERR_TOKEN_PRINCIPAL_UNTRUSTED');
  const truthy = guardOf({ principals: (() => 'yes') as unknown as () => boolean });
  t.is((await rejectionOf(truthy.verify(bearerRequest(token)))).code, 'ERR_TOKEN_PRINCIPAL_UNTRUSTED');
});

test('principals also restrict any other issuer when given', async (t) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, httpTimeout: 30_000, principals: { sub: ['user-123'] } });
  await t.notThrowsAsync(guard.verify(bearerRequest(await issuer.sign({}))));
  t.is((await rejectionOf(guard.verify(bearerRequest(await issuer.sign({ sub: 'user-456' }))))).code, 'ERR_TOKEN_PRINCIPAL_UNTRUSTED');
});
