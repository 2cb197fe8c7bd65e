/**
 * RFC 9701 JWT introspection responses (issue 3): success, each verification failure, and an
 * introspection-response JWT presented as an access token.
 */
import test, { type ExecutionContext } from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { keySigner, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import {
  AUDIENCE, CLIENT_ID, activeBody, assertRejected, jwtAnswer, optionsFor, requestWith, signIntrospectionJwt,
  startEndpoint, type Answer, type Endpoint,
} from '../helpers/introspection.js';

interface Setup {
  issuer: MockIssuer;
  endpoint: Endpoint;
  guard: ReturnType<typeof createGuard>;
}

/** A mock issuer (discovery + JWKS), an endpoint answering `answer(issuer)`, and a guard asking for JWTs. */
async function setup(
  t: ExecutionContext,
  answer: (issuer: MockIssuer) => Promise<Answer> | Answer,
  introspection: Record<string, unknown> = {},
  overrides: Partial<GuardOptions> = {},
): Promise<Setup> {
  const issuer = await startMockIssuer('ES256');
  t.teardown(() => issuer.close());
  const prepared = await answer(issuer);
  const endpoint = await startEndpoint(() => prepared);
  t.teardown(() => endpoint.close());
  const guard = createGuard({
    ...optionsFor(endpoint.url, { jwtResponse: true, cacheTtl: 0, ...introspection }, overrides),
    issuer: issuer.issuer,
    ...overrides,
  });
  return { issuer, endpoint, guard };
}

const signed = (payload: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  async (issuer: MockIssuer) => jwtAnswer(await signIntrospectionJwt(issuer, payload, header));

test('a valid JWT response is accepted; only token_introspection is read; Accept asks for the JWT', async (t) => {
  const { guard, endpoint, issuer } = await setup(t, signed({
    // Top-level members besides iss/aud/iat/exp must be ignored.
    active: true, sub: 'top-level-sub', scope: 'admin', tenant: 'evil',
  }));
  const auth = await guard.verify(requestWith('jwt-ok'));
  t.is(auth.format, 'opaque');
  t.is(auth.subject, 'user-123');
  t.deepEqual(auth.scopes, ['orders:read', 'profile']);
  t.is(auth.claims.tenant, undefined);
  t.is(auth.issuer, issuer.issuer);
  t.is(endpoint.calls[0]!.headers.accept, 'application/token-introspection+jwt');
  t.is(endpoint.calls[0]!.method, 'POST');
});

test('accepted variants: typ with application/ prefix or other casing, aud as a list, a rotated key', async (t) => {
  for (const answer of [
    signed({}, { typ: 'application/token-introspection+jwt' }),
    signed({}, { typ: 'Token-Introspection+JWT' }),
    signed({ aud: ['someone-else', CLIENT_ID] }),
    signed({ iat: Math.floor(Date.now() / 1000) - 30 }),
    async (issuer: MockIssuer) => {
      const rotated = issuer.createKey('ES256');
      issuer.published.push(rotated);
      return jwtAnswer(await signIntrospectionJwt(issuer, {}, {}, rotated));
    },
  ]) {
    const { guard } = await setup(t, answer);
    t.is((await guard.verify(requestWith('jwt-variant'))).subject, 'user-123');
  }
});

test('an inactive token_introspection → 401 inactive', async (t) => {
  const { guard } = await setup(t, signed({ token_introspection: { active: false } }));
  await assertRejected(t, guard.verify(requestWith('jwt-inactive')), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
});

test('local checks apply to token_introspection (audience)', async (t) => {
  const { guard } = await setup(t, signed({ token_introspection: activeBody({ aud: 'https://other.example.test' }) }));
  await assertRejected(t, guard.verify(requestWith('jwt-aud')), { status: 401, code: 'ERR_TOKEN_AUDIENCE_INVALID' });
});

test('RFC 9701: a token_introspection without aud is refused by default (the JWT\'s own aud names us, not the token\'s audience)', async (t) => {
  const { guard } = await setup(t, signed({ token_introspection: activeBody({ aud: undefined }) }));
  await assertRejected(t, guard.verify(requestWith('jwt-no-aud')), { status: 401, code: 'ERR_INTROSPECTION_AUDIENCE_MISSING' });
  const optedOut = await setup(t, signed({ token_introspection: activeBody({ aud: undefined }) }), { allowMissingAudience: true });
  t.is((await optedOut.guard.verify(requestWith('jwt-no-aud'))).subject, 'user-123');
});

test('RFC 9701: an ID token\'s answer is refused whatever requiredClaims say', async (t) => {
  const { guard } = await setup(t, signed({ token_introspection: activeBody({ nonce: 'n-1' }) }), {}, { requiredClaims: [] });
  await assertRejected(t, guard.verify(requestWith('jwt-id-token')), { status: 401, code: 'ERR_TOKEN_ID_TOKEN' });
});

const now = () => Math.floor(Date.now() / 1000);
const failures: Array<[string, (issuer: MockIssuer) => Promise<Answer>, string, Record<string, unknown>?, Partial<GuardOptions>?]> = [
  ['a plain JSON answer (downgrade)', async () => ({ body: activeBody() }), 'EXPECTED'],
  ['a JWT with content type application/jwt', async (issuer) => jwtAnswer(await signIntrospectionJwt(issuer), 'application/jwt'), 'EXPECTED'],
  ['a body that is not a JWS', async () => jwtAnswer('not.a.jwt'), 'MALFORMED'],
  ['wrong typ (JWT)', signed({}, { typ: 'JWT' }), 'TYP_INVALID'],
  ['wrong typ (at+jwt)', signed({}, { typ: 'at+jwt' }), 'TYP_INVALID'],
  ['no typ', signed({}, { typ: undefined }), 'TYP_INVALID'],
  ['a bad signature (another key, same kid)', async (issuer) => {
    const impostor = { ...issuer.createKey('ES256'), kid: issuer.published[0]!.kid };
    return jwtAnswer(await signIntrospectionJwt(issuer, {}, {}, impostor));
  }, 'SIGNATURE_INVALID'],
  ['a key not in the issuer JWKS', async (issuer) => jwtAnswer(await signIntrospectionJwt(issuer, {}, {}, issuer.createKey('ES256'))), 'SIGNATURE_INVALID'],
  ['a tampered payload', async (issuer) => {
    const [h, , s] = (await signIntrospectionJwt(issuer)).split('.');
    const payload = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: CLIENT_ID, iat: now(), token_introspection: activeBody({ sub: 'admin' }) })).toString('base64url');
    return jwtAnswer(`${h}.${payload}.${s}`);
  }, 'SIGNATURE_INVALID'],
  ['an algorithm outside the allow-list', signed(), 'ALG_NOT_ALLOWED', {}, { algorithms: ['RS256'] }],
  ['HS256 (the access-token secret is never used for responses)', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'token-introspection+jwt' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ aud: CLIENT_ID, iat: now(), token_introspection: activeBody() })).toString('base64url');
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
    return jwtAnswer(`${header}.${payload}.${signature}`);
  }, 'ALG_NOT_ALLOWED', {}, { secret: 'a-shared-secret-of-at-least-32-bytes!!', algorithms: ['ES256', 'HS256'] }],
  ['alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'token-introspection+jwt' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ aud: CLIENT_ID, iat: now(), token_introspection: activeBody() })).toString('base64url');
    return jwtAnswer(`${header}.${payload}.`);
  }, 'MALFORMED'],
  ['a crit header', signed({}, { crit: ['b64'], b64: true }), 'MALFORMED'],
  ['wrong iss', signed({ iss: 'https://evil.example.test' }), 'ISSUER_INVALID'],
  ['no iss', signed({ iss: undefined }), 'ISSUER_INVALID'],
  ['wrong aud', signed({ aud: 'another-client' }), 'AUDIENCE_INVALID'],
  ['aud is the resource, not our client id', signed({ aud: AUDIENCE }), 'AUDIENCE_INVALID'],
  ['no aud', signed({ aud: undefined }), 'AUDIENCE_INVALID'],
  ['stale iat', signed({ iat: now() - 70 }), 'STALE'],
  ['no iat', signed({ iat: undefined }), 'STALE'],
  ['iat in the future', signed({ iat: now() + 60 }), 'STALE'],
  ['iat as a string', signed({ iat: String(now()) }), 'STALE'],
  ['expired exp', signed({ exp: now() - 60 }), 'STALE'],
  ['missing token_introspection', signed({ token_introspection: undefined, active: true }), 'MALFORMED'],
  ['token_introspection not an object', signed({ token_introspection: [activeBody()] }), 'MALFORMED'],
  ['a correctly signed payload that is not valid UTF-8 (RFC 7515 §5.2)', async (issuer) => {
    const key = issuer.published[0]!;
    const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'token-introspection+jwt' })).toString('base64url');
    const bytes = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: CLIENT_ID, iat: now(), token_introspection: activeBody({ username: 'XX' }) }));
    bytes[bytes.indexOf('XX')] = 0xc3; // a lead byte with no continuation
    const input = `${header}.${bytes.toString('base64url')}`;
    return jwtAnswer(`${input}.${keySigner(key)(Buffer.from(input)).toString('base64url')}`);
  }, 'MALFORMED'],
];
for (const [title, answer, code, introspection, overrides] of failures) {
  test(`RFC 9701 response rejected: ${title} → 503 ERR_INTROSPECTION_JWT_${code}`, async (t) => {
    const token = `jwt-fail-${title.replace(/\W+/g, '-')}`;
    const { guard } = await setup(t, answer, introspection, overrides);
    await assertRejected(t, guard.verify(requestWith(token)), { status: 503, code: `ERR_INTROSPECTION_JWT_${code}` }, token);
  });
}

test('ERR_INTROSPECTION_JWT_AUDIENCE_INVALID says what the answer\'s aud was (escaped) and what was expected (Glewlwyd sends the token\'s own aud)', async (t) => {
  const { guard } = await setup(t, signed({ aud: [AUDIENCE, 'evil\n"line'] }));
  const error = await t.throwsAsync(guard.verify(requestWith('jwt-aud-detail')));
  t.like(error, { code: 'ERR_INTROSPECTION_JWT_AUDIENCE_INVALID', status: 503 });
  const detail = (error as { detail?: string }).detail ?? '';
  t.true(detail.includes(`the response JWT's aud is ["${AUDIENCE}", "evil\\n\\"line"], expected it to contain "${CLIENT_ID}"`), detail);
  t.regex(detail, /"introspection\.jwtResponse" to false/);
  t.false(detail.includes('\n'));
  const none = await setup(t, signed({ aud: undefined }));
  t.regex((await t.throwsAsync(none.guard.verify(requestWith('jwt-aud-none'))) as { detail?: string }).detail ?? '', /aud is none, expected/);
});

test('jwtResponseMaxAge widens the accepted iat age', async (t) => {
  const { guard } = await setup(t, signed({ iat: now() - 200 }), { jwtResponseMaxAge: 300 });
  t.is((await guard.verify(requestWith('jwt-old-ok'))).subject, 'user-123');
});

test('a rejected JWT response is not cached', async (t) => {
  const { guard, endpoint } = await setup(t, signed({ aud: 'another-client' }), { cacheTtl: 60 });
  for (let i = 0; i < 2; i += 1) await t.throwsAsync(guard.verify(requestWith('jwt-not-cached')));
  t.is(endpoint.calls.length, 2);
});

test('an introspection-response JWT presented as an access token is rejected by the JWT path', async (t) => {
  const issuer = await startMockIssuer('ES256');
  t.teardown(() => issuer.close());
  // Signed by the trusted issuer's own key, with access-token-like claims on top: still not an access token.
  const jwt = await signIntrospectionJwt(issuer, { aud: AUDIENCE, sub: 'user-123', client_id: 'c', jti: 'j', exp: now() + 60 });
  for (const allowGenericJwtTyp of [false, true]) {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, allowGenericJwtTyp });
    await assertRejected(t, guard.verify(requestWith(jwt)), { status: 401, code: 'ERR_JWT_TYP_INVALID' }, jwt);
  }
});
