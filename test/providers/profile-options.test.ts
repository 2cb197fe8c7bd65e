/**
 * What a profile sets and what stays the user's: explicit options over profile defaults,
 * `clientIdClaim` and `scopeClaims`, the markers one by one, Cognito's audience, Google's
 * scheme-less issuer, and a TypeError naming every bad new option.
 */
import test from 'ava';
import {
  createGuard, requireClaims, requireScopes, type GuardError, type GuardOptions,
} from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, useMockIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };
const request = bearerRequest;
const issuer = useMockIssuer(test);
const guardOf = (options: Partial<GuardOptions>) => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: quiet, ...options });
const generic = { header: { typ: 'JWT' } };

test('an explicit option wins over the profile default: allowGenericJwtTyp, requiredClaims', async (t) => {
  const token = await issuer.sign({ typ: 'Bearer', azp: 'web' }, generic);
  t.is((await rejectionOf(guardOf({ profile: 'keycloak', allowGenericJwtTyp: false }).verify(request(token)))).code, 'ERR_JWT_TYP_INVALID');
  t.is((await rejectionOf(guardOf({ profile: 'keycloak', requiredClaims: ['tenant'] }).verify(request(token)))).code, 'ERR_TOKEN_CLAIM_MISSING');
  await t.notThrowsAsync(guardOf({ profile: 'keycloak' }).verify(request(token)));
});

test('the default profile is unchanged: scope wins over scp, no client id fallback, scope arrays malformed', async (t) => {
  const auth = await guardOf({}).verify(request(await issuer.sign({ scope: 'a', scp: ['b'], client_id: 'c', azp: 'other' })));
  t.deepEqual(auth.scopes, ['a']);
  t.is(auth.clientId, 'c');
  const noClient = await guardOf({ requiredClaims: [] }).verify(request(await issuer.sign({ client_id: undefined, azp: 'web' })));
  t.is(noClient.clientId, undefined);
  t.is((await rejectionOf(guardOf({}).verify(request(await issuer.sign({ scope: ['a'] }))))).code, 'ERR_TOKEN_CLAIM_INVALID');
  t.is((await rejectionOf(guardOf({ profile: 'rfc9068' }).verify(request(await issuer.sign({}, generic))))).code, 'ERR_JWT_TYP_INVALID');
});

test('clientIdClaim: read after client_id, in order; it replaces the profile default', async (t) => {
  const token = await issuer.sign({ client_id: undefined, azp: 'from-azp', appid: 'from-appid' });
  const options = { requiredClaims: ['sub'] };
  t.is((await guardOf({ ...options, clientIdClaim: 'appid' }).verify(request(token))).clientId, 'from-appid');
  t.is((await guardOf({ ...options, clientIdClaim: ['cid', 'azp'] }).verify(request(token))).clientId, 'from-azp');
  t.is((await guardOf({ ...options, profile: 'entra', clientIdClaim: 'appid' }).verify(request(await issuer.sign({
    client_id: undefined, azp: 'from-azp', appid: 'from-appid', ver: '2.0', tid: 't', scp: 's',
  }, generic)))).clientId, 'from-appid');
  t.is((await guardOf({ clientIdClaim: 'azp' }).verify(request(await issuer.sign({ azp: 'from-azp' })))).clientId, 'client-abc');
  t.is((await guardOf({ ...options, clientIdClaim: ['cid', 'azp'] }).verify(request(await issuer.sign({ client_id: undefined, azp: 7 })))).clientId, undefined);
});

test('scopeClaims: the first claim present gives the scopes, never merged; non-strings grant nothing', async (t) => {
  const token = await issuer.sign({ scope: 'a b', scp: ['x'], roles: ['b', 'R', 7], permissions: 'p q' });
  t.deepEqual((await guardOf({ scopeClaims: ['scope', 'scp', 'roles', 'permissions'] }).verify(request(token))).scopes, ['a', 'b']);
  t.deepEqual((await guardOf({ scopeClaims: ['roles'] }).verify(request(token))).scopes, ['b', 'R']);
  t.deepEqual((await guardOf({ scopeClaims: ['scp', 'roles'] }).verify(request(token))).scopes, ['x']);
  t.deepEqual((await guardOf({ scopeClaims: ['permissions', 'roles'] }).verify(request(await issuer.sign({ roles: ['r'], permissions: null })))).scopes, ['r']);
  t.deepEqual((await guardOf({ scopeClaims: ['nope', 'scp', 'roles'] }).verify(request(await issuer.sign({})))).scopes, []);
  t.deepEqual((await guardOf({ scopeClaims: [] }).verify(request(token))).scopes, []);
  t.deepEqual((await guardOf({ scopeClaims: ['scope', 'scp'] }).verify(request(await issuer.sign({ scope: undefined, scp: 'y z' })))).scopes, ['y', 'z']);
});

test('the client id and scopes come from the configured claims on verified-cache hits too', async (t) => {
  const guard = guardOf({ profile: 'auth0', verifiedTokenCache: true });
  const token = await issuer.sign({ client_id: undefined, azp: 'web', scope: 'a', permissions: ['p'] }, generic);
  for (let i = 0; i < 2; i += 1) {
    const auth = await guard.verify(request(token));
    t.is(auth.clientId, 'web');
    // RBAC `permissions` are the user's: not what this client was granted, never scopes.
    t.deepEqual(auth.scopes, ['a']);
    t.deepEqual(auth.claims.permissions, ['p']);
  }
});

test('Entra: a delegated token (scp) gets no scope from the user\'s roles; an app-only token\'s roles are its scopes', async (t) => {
  const guard = guardOf({ profile: 'entra' });
  const entra = (claims: Record<string, unknown>) => issuer.sign({ client_id: undefined, jti: undefined, scope: undefined, tid: 't', ver: '2.0', azp: 'a', ...claims }, generic);
  const delegated = await guard.verify(request(await entra({ scp: 'Orders.Read', roles: ['Orders.Admin'] })));
  t.deepEqual(delegated.scopes, ['Orders.Read']);
  t.deepEqual(delegated.claims.roles, ['Orders.Admin']);
  t.deepEqual((await guard.verify(request(await entra({ roles: ['Orders.Admin'] })))).scopes, ['Orders.Admin']);
});

test('Entra: an app-only token without an app role is an access token; a scope rejection says to assign an app role', async (t) => {
  const guard = guardOf({ profile: 'entra' });
  const token = await issuer.sign({ client_id: undefined, jti: undefined, scope: undefined, tid: 't', ver: '1.0', appid: 'app', idtyp: 'app' }, generic);
  const auth = await guard.verify(request(token));
  t.deepEqual(auth.scopes, []);
  const error = (() => {
    try {
      guard.authorize(auth, requireScopes('Orders.Read'));
    } catch (caught) {
      return caught as GuardError;
    }
    return undefined;
  })();
  t.is(error?.code, 'ERR_SCOPE_INSUFFICIENT');
  t.is(error?.status, 403);
  t.regex(error?.detail ?? '', /requireScopes\(\): the token lacks \["Orders\.Read"\].*an app role of this API is assigned to the client application/);
  t.regex(error?.headers['WWW-Authenticate'] ?? '', /scope="Orders\.Read"/);
  // A token that has scopes, or a rejection of another kind, is left as it is.
  const withRole = await guard.verify(request(await issuer.sign({ client_id: undefined, jti: undefined, scope: undefined, tid: 't', ver: '1.0', appid: 'app', roles: ['Other'] }, generic)));
  t.throws(() => guard.authorize(withRole, requireScopes('Orders.Read')), { message: /lacks a required scope/ });
  try {
    guard.authorize(withRole, requireScopes('Orders.Read'));
  } catch (caught) {
    t.notRegex((caught as GuardError).detail ?? '', /app role/);
  }
  try {
    guard.authorize(auth, requireClaims({ roles: 'Orders.Admin' }));
    t.fail('requireClaims must refuse');
  } catch (caught) {
    t.is((caught as GuardError).code, 'ERR_CLAIMS_INSUFFICIENT');
    t.notRegex((caught as GuardError).detail ?? '', /app role/);
  }
});

test('Entra markers: v2 needs azp, v1 appid, any other ver is refused', async (t) => {
  const guard = guardOf({ profile: 'entra' });
  const entra = (claims: Record<string, unknown>) => issuer.sign({ client_id: undefined, jti: undefined, scope: undefined, tid: 't', ...claims }, generic);
  await t.notThrowsAsync(guard.verify(request(await entra({ ver: '2.0', azp: 'a', scp: 's' }))));
  await t.notThrowsAsync(guard.verify(request(await entra({ ver: '1.0', appid: 'a', roles: ['r'] }))));
  for (const claims of [
    { ver: '1.0', azp: 'a', scp: 's' }, { ver: '2.0', appid: 'a', scp: 's' }, { azp: 'a', scp: 's' }, { ver: '3.0', azp: 'a', scp: 's' },
    { ver: 'constructor', azp: 'a', scp: 's' }, { ver: 2, azp: 'a', scp: 's' }, { ver: '2.0', azp: null, scp: 's' },
  ]) {
    t.is((await rejectionOf(guard.verify(request(await entra(claims))))).code, 'ERR_TOKEN_NOT_ACCESS_TOKEN', JSON.stringify(claims));
  }
  t.regex((await rejectionOf(guard.verify(request(await entra({ ver: '1.0', azp: 'a', scp: 's' }))))).detail!,
    /^profile "entra": an access token has claim "ver" one of "1\.0" with \["appid"\] or "2\.0" with \["azp"\], this token "ver" "1\.0"/);
  // App-only without an app role: neither scp nor roles, still an access token.
  await t.notThrowsAsync(guard.verify(request(await entra({ ver: '2.0', azp: 'a' }))));
  t.is((await rejectionOf(guard.verify(request(await entra({ ver: '2.0', azp: 'a', scp: 's', tid: undefined }))))).code, 'ERR_TOKEN_CLAIM_MISSING');
});

test('where the client id comes from: ZITADEL client_id (none before late 2024), never azp; Curity none; clientIdClaim names one', async (t) => {
  const zitadel = guardOf({ profile: 'zitadel' });
  const current = await zitadel.verify(request(await issuer.sign({ client_id: 'app@orders', scope: undefined }, generic)));
  t.is(current.clientId, 'app@orders');
  // Before zitadel/oidc#650: no client_id. Still an access token (it has a jti); no client id, and azp is never read.
  const older = await zitadel.verify(request(await issuer.sign({ client_id: undefined, azp: 'app@orders', scope: undefined }, generic)));
  t.is(older.clientId, undefined);
  // Curity access tokens name the client in neither claim: unset, unless clientIdClaim names a claim a token procedure adds.
  const curityToken = await issuer.sign({ client_id: undefined, azp: 'web', purpose: 'access_token', delegationId: 'd-1', client: 'web' }, generic);
  t.is((await guardOf({ profile: 'curity' }).verify(request(curityToken))).clientId, undefined);
  t.is((await guardOf({ profile: 'curity', clientIdClaim: 'client' }).verify(request(curityToken))).clientId, 'web');
});

test('Auth0 markers: a client (client_id or azp) and scope or permissions', async (t) => {
  const guard = guardOf({ profile: 'auth0' });
  await t.notThrowsAsync(guard.verify(request(await issuer.sign({ scope: undefined, permissions: ['p'] }, generic))));
  await t.notThrowsAsync(guard.verify(request(await issuer.sign({ client_id: undefined, azp: 'a' }, generic))));
  t.is((await rejectionOf(guard.verify(request(await issuer.sign({ client_id: undefined }, generic))))).code, 'ERR_TOKEN_NOT_ACCESS_TOKEN');
  t.is((await rejectionOf(guard.verify(request(await issuer.sign({ scope: undefined }, generic))))).code, 'ERR_TOKEN_NOT_ACCESS_TOKEN');
});

test('Cognito: the audience is client_id (a wrong one refused), an aud present must match too, token_use must be access', async (t) => {
  const guard = guardOf({ profile: 'cognito', audience: 'app-client' });
  const cognito = (claims: Record<string, unknown>) => issuer.sign({ aud: undefined, client_id: 'app-client', token_use: 'access', ...claims }, { header: { typ: undefined } });
  await t.notThrowsAsync(guard.verify(request(await cognito({}))));
  const wrongClient = await rejectionOf(guard.verify(request(await cognito({ client_id: 'other-client' }))));
  t.is(wrongClient.code, 'ERR_TOKEN_AUDIENCE_INVALID');
  t.regex(wrongClient.detail!, /profile "cognito" matches audience against "client_id": client_id "other-client" is not one of audience: \["app-client"\]/);
  t.is((await rejectionOf(guard.verify(request(await cognito({ aud: 'https://other.example' }))))).code, 'ERR_TOKEN_AUDIENCE_INVALID');
  const idToken = await rejectionOf(guard.verify(request(await cognito({ token_use: 'id' }))));
  t.is(idToken.code, 'ERR_TOKEN_ID_TOKEN');
  t.regex(idToken.detail!, /claim "token_use" "id"/);
  const other = await rejectionOf(guard.verify(request(await cognito({ token_use: 'refresh' }))));
  t.is(other.code, 'ERR_TOKEN_NOT_ACCESS_TOKEN');
  t.regex(other.detail!, /^profile "cognito": an access token has claim "token_use" "access", this token "refresh"/);
  t.is((await rejectionOf(guard.verify(request(await cognito({ token_use: undefined }))))).code, 'ERR_TOKEN_NOT_ACCESS_TOKEN');
  t.is((await rejectionOf(guard.verify(request(await cognito({ client_id: undefined }))))).code, 'ERR_TOKEN_CLAIM_MISSING');
  // Only under this profile: the default profile still requires aud.
  t.is((await rejectionOf(guardOf({ audience: 'app-client' }).verify(request(await cognito({}))))).code, 'ERR_JWT_TYP_INVALID');
  const noAud = await rejectionOf(guardOf({ audience: 'app-client', allowGenericJwtTyp: true }).verify(request(await cognito({}))));
  t.is(noAud.code, 'ERR_TOKEN_CLAIM_MISSING');
  t.regex(noAud.detail!, /set profile "cognito"/);
});

test('Duende: scope arrays pass, and client-credentials tokens without sub', async (t) => {
  const auth = await guardOf({ profile: 'duende' }).verify(request(await issuer.sign({ sub: undefined, scope: ['a', 'b'] })));
  t.deepEqual(auth.scopes, ['a', 'b']);
  t.is((await rejectionOf(guardOf({ profile: 'duende' }).verify(request(await issuer.sign({ scope: ['a', 1] }))))).code, 'ERR_TOKEN_CLAIM_INVALID');
});

test('Google: the scheme-less iss "accounts.google.com" counts as https://accounts.google.com, nothing else does', async (t) => {
  const options = { profile: 'google' as const, issuer: 'https://accounts.google.com', jwksUri: issuer.jwksUri, principals: { azp: ['x'] } };
  const google = (iss: string) => issuer.sign({ iss, client_id: undefined, jti: undefined, scope: undefined, azp: 'x' }, generic);
  await t.notThrowsAsync(guardOf(options).verify(request(await google('accounts.google.com'))));
  await t.notThrowsAsync(guardOf(options).verify(request(await google('https://accounts.google.com'))));
  for (const iss of ['accounts.google.com.evil.example', 'https://accounts.google.com/', 'Accounts.google.com']) {
    t.is((await rejectionOf(guardOf(options).verify(request(await google(iss))))).code, 'ERR_JWT_ISSUER_UNTRUSTED', iss);
  }
  t.is((await rejectionOf(guardOf({ ...options, profile: 'rfc9068', allowGenericJwtTyp: true, requiredClaims: [] })
    .verify(request(await google('accounts.google.com'))))).code, 'ERR_JWT_ISSUER_UNTRUSTED');
  // Google's access tokens are opaque ("ya29.…"): without an introspection endpoint there is nothing to verify them with.
  t.is((await rejectionOf(guardOf(options).verify(request('ya29.a0AfH6SMBexampleexampleexample')))).code, 'ERR_TOKEN_FORMAT_UNSUPPORTED');
});

const base: GuardOptions = { issuer: 'https://as.example.com', audience: 'https://api.example.com' };
const bad: Array<[string, unknown, RegExp]> = [
  ['an unknown profile', { ...base, profile: 'okta2' }, /"profile" must be one of rfc9068, auth0/],
  ['a profile that is not a string', { ...base, profile: ['okta'] }, /"profile"/],
  ['an empty clientIdClaim', { ...base, clientIdClaim: '' }, /"clientIdClaim"/],
  ['a clientIdClaim list with a number', { ...base, clientIdClaim: ['azp', 1] }, /"clientIdClaim"/],
  ['scopeClaims as a string', { ...base, scopeClaims: 'scp' }, /"scopeClaims"/],
  ['scopeClaims with an empty name', { ...base, scopeClaims: ['scope', ''] }, /"scopeClaims"/],
  ['allowGenericJwtTyp as a string under a profile', { ...base, profile: 'okta', allowGenericJwtTyp: 'yes' }, /"allowGenericJwtTyp"/],
];
for (const [title, options, message] of bad) {
  test(`createGuard rejects ${title}`, (t) => {
    t.throws(() => createGuard(options as GuardOptions), { instanceOf: TypeError, message });
  });
}
