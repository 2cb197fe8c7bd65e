/**
 * What a token may claim, over HTTP on every adapter: a profile never widens a delegated token's
 * scopes with the user's entitlements, an issuer anyone can mint tokens of admits only listed
 * callers, a shared secret verifies only its own issuer's tokens, and an ID token (or a logout token) is refused
 * whatever `requiredClaims` say.
 */
import test from 'ava';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import { hmacSigner, rawJws } from '../helpers/issuer.js';

const SECRET = 'in-house-shared-secret-of-32-bytes-or-more';
const IN_HOUSE = 'https://in-house.example.test';
const generic = { header: { typ: 'JWT' } };
const forbidden = (scope: string) => ({ status: 403, error: 'insufficient_scope', scope, code: 'ERR_SCOPE_INSUFFICIENT' });
const invalidToken = (code: string) => ({ status: 401, error: 'invalid_token', code });

async function sendToken(context: CaseContext, token: string, path = '/protected') {
  return { response: await context.bearer(token, path), secrets: [token] };
}

// An Entra v2 token as the mock issuer signs it: `azp`, `tid`, no `client_id`/`jti`/`scope`.
const entra = (context: CaseContext, claims: Record<string, unknown>) => context.issuer.sign({
  client_id: undefined, jti: undefined, scope: undefined, tid: '72f988bf-86f1-41af-91ab-2d7cd011db47', ver: '2.0', azp: 'web-app', ...claims,
}, generic);

// A Google-signed ID token minted for this API's audience by some service account.
const googleIdToken = (context: CaseContext, email: string) => context.issuer.sign({
  client_id: undefined, jti: undefined, scope: undefined, azp: '1075', email, email_verified: true, sub: '1075',
}, generic);

const table: HttpCase[] = [
  {
    title: 'entra: a delegated token (scp orders:read) with the user\'s role orders:write → 403 on a route needing both',
    options: () => ({ profile: 'entra' }),
    run: async (c) => sendToken(c, await entra(c, { scp: 'orders:read', roles: ['orders:write'] }), '/scopes/all'),
    expect: forbidden('orders:read orders:write'),
  },
  {
    title: 'entra: an app-only token (no scp) granted both app roles → 200 on that route',
    options: () => ({ profile: 'entra' }),
    run: async (c) => sendToken(c, await entra(c, { roles: ['orders:read', 'orders:write'] }), '/scopes/all'),
    expect: { status: 200 },
  },
  {
    title: 'entra: an app-only token with no app role (neither scp nor roles) is an access token → 200, and 403 on a scoped route',
    options: () => ({ profile: 'entra' }),
    run: async (c) => {
      const token = await entra(c, { ver: '1.0', azp: undefined, appid: 'daemon' });
      const plain = await c.bearer(token);
      c.notes.plain = plain.status;
      return sendToken(c, token, '/scopes/all');
    },
    expect: { ...forbidden('orders:read orders:write'), handlerCalls: 1 },
    check(t, c) {
      t.is(c.notes.plain, 200);
    },
  },
  {
    title: 'auth0: scope orders:read with RBAC permissions orders:write → 403 on a route needing both',
    options: () => ({ profile: 'auth0' }),
    run: async (c) => sendToken(c, await c.issuer.sign({
      client_id: undefined, azp: 'web-app', scope: 'orders:read', permissions: ['orders:read', 'orders:write'],
    }, generic), '/scopes/all'),
    expect: forbidden('orders:read orders:write'),
  },
  {
    title: 'google: an ID token minted by a service account not in principals → 401',
    options: () => ({ profile: 'google', principals: { email: ['orders-caller@project.iam.gserviceaccount.com'] } }),
    run: async (c) => sendToken(c, await googleIdToken(c, 'anyone@other-project.iam.gserviceaccount.com')),
    expect: invalidToken('ERR_TOKEN_PRINCIPAL_UNTRUSTED'),
  },
  {
    title: 'google: an ID token of a listed service account → 200',
    options: () => ({ profile: 'google', principals: { email: ['orders-caller@project.iam.gserviceaccount.com'] } }),
    run: async (c) => sendToken(c, await googleIdToken(c, 'orders-caller@project.iam.gserviceaccount.com')),
    expect: { status: 200 },
  },
  {
    title: 'secret bound to the in-house issuer: an HS256 token claiming the other issuer\'s iss → 401',
    options: (issuer) => ({ issuer: [IN_HOUSE, issuer.issuer], secret: SECRET, secretIssuer: IN_HOUSE }),
    run: (c) => sendToken(c, rawJws({ alg: 'HS256', typ: 'at+jwt' }, c.issuer.claims(), hmacSigner(SECRET))),
    expect: invalidToken('ERR_JWT_ALG_NOT_ALLOWED'),
  },
  {
    title: 'secret bound to the in-house issuer: its own HS256 token → 200',
    options: (issuer) => ({ issuer: [IN_HOUSE, issuer.issuer], secret: SECRET, secretIssuer: IN_HOUSE }),
    run: (c) => sendToken(c, rawJws({ alg: 'HS256', typ: 'at+jwt' }, c.issuer.claims({ iss: IN_HOUSE }), hmacSigner(SECRET))),
    expect: { status: 200 },
  },
  {
    // LemonLDAP::NG: `typ: JWT`, the API among the ID token's audiences; `client_id` no longer required.
    title: 'an ID token (at_hash, auth_time, no scope) for this audience → 401 even with requiredClaims relaxed',
    options: () => ({ allowGenericJwtTyp: true, requiredClaims: ['sub', 'iat'] }),
    run: async (c) => sendToken(c, await c.issuer.sign({
      client_id: undefined, jti: undefined, scope: undefined, azp: 'web-app', at_hash: 'x3Rv0aHIKw', auth_time: Math.floor(Date.now() / 1000),
    }, generic)),
    expect: invalidToken('ERR_TOKEN_ID_TOKEN'),
  },
  {
    title: 'an ID token carrying only a nonce → 401 under a profile whose markers it passes',
    options: () => ({ profile: 'hydra' }),
    run: async (c) => sendToken(c, await c.issuer.sign({ scope: undefined, scp: ['orders:read'], nonce: 'n-0S6' }, generic)),
    expect: invalidToken('ERR_TOKEN_ID_TOKEN'),
  },
  {
    // OpenID Connect Back-Channel Logout §2.4: no nonce, so only its `events` claim gives it away.
    title: 'a logout token (events, sid, no nonce) for this audience → 401 even with typ JWT and requiredClaims relaxed',
    options: () => ({ allowGenericJwtTyp: true, requiredClaims: ['iss', 'exp', 'aud'] }),
    run: async (c) => sendToken(c, await c.issuer.sign({
      client_id: undefined, scope: undefined, sid: 'session-1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    }, generic)),
    expect: invalidToken('ERR_TOKEN_SECURITY_EVENT'),
    check(t, _c, response) {
      t.false(response.body.includes('session-1'));
    },
  },
];

runCaseTable(test, table);
