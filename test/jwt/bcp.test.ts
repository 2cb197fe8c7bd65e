/**
 * The JWT Best Current Practices update (draft-ietf-oauth-rfc8725bis), rule by rule, for every
 * kind of JWT the guard reads: access tokens, DPoP proofs and RFC 9701 introspection
 * responses. Each test is named after the section it shows; docs/security.md lists them. On both
 * backends; the JWE ones (decryption, node backend only) are in bcp.node.test.ts.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { CompactSign } from 'jose';
import { createGuard, type Guard, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { refusalOf, withCharacter } from '../helpers/bcp.js';
import { ath, clientKey, nowSeconds, type ClientKey } from '../helpers/dpop.js';
import { AUDIENCE, bearerRequest, encodeSegment, keySigner, rawJws, rejectionOf, useMockIssuer } from '../helpers/issuer.js';
import { CLIENT_ID, CLIENT_SECRET, activeBody, jwtAnswer, signIntrospectionJwt, startEndpoint } from '../helpers/introspection.js';

const issuer = useMockIssuer(test);
const URL_ = 'https://api.example.test/orders';

const guardOf = (options: Partial<GuardOptions> = {}): Guard => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, ...options,
});

// §3.14 Check JWT Format Type -------------------------------------------------------------------

test('§3.14 access token: a character outside base64url in any segment is refused before parsing, no key fetched', async (t) => {
  const guard = guardOf();
  const token = await issuer.sign();
  t.is((await guard.verify(bearerRequest(token))).subject, 'user-123', 'the untouched token passes');
  // `+` and `/` are base64 (not base64url); `=` is padding; all are b64token characters, so the
  // request itself is well-formed (RFC 6750 §2.1) and only the JWT parser can refuse them.
  for (const char of ['+', '/']) {
    // The header: then the token is no JWS at all (and, without introspection, refused as such).
    t.like(await refusalOf(issuer, guard, bearerRequest(withCharacter(token, 0, char))), { status: 401, code: 'ERR_TOKEN_FORMAT_UNSUPPORTED', jwksFetches: 0 }, `header ${char}`);
    t.like(await refusalOf(issuer, guard, bearerRequest(withCharacter(token, 1, char))), { status: 401, code: 'ERR_JWT_MALFORMED', jwksFetches: 0 }, `payload ${char}`);
    t.like(await refusalOf(issuer, guard, bearerRequest(withCharacter(token, 2, char))), { status: 401, code: 'ERR_JWT_MALFORMED', jwksFetches: 0 }, `signature ${char}`);
  }
  t.like(await refusalOf(issuer, guard, bearerRequest(`${token}=`)), { status: 401, code: 'ERR_JWT_MALFORMED', jwksFetches: 0 }, 'padding');
  // Braces and quotation marks (a JSON-serialized JWS, RFC 7515 §7.2): not even a b64token.
  const [header, payload, signature] = token.split('.');
  const json = JSON.stringify({ protected: header, payload, signature });
  t.like(await refusalOf(issuer, guard, bearerRequest(json)), { status: 400, code: 'ERR_REQUEST_MALFORMED_CREDENTIALS', jwksFetches: 0 });
  const rawHeader = `{"alg":"ES256"}.${payload}.${signature}`;
  t.like(await refusalOf(issuer, guard, bearerRequest(rawHeader)), { status: 400, code: 'ERR_REQUEST_MALFORMED_CREDENTIALS', jwksFetches: 0 });
});

test('§3.14 DPoP proof: a character outside base64url in any segment → invalid_dpop_proof, before the token is judged', async (t) => {
  const guard = guardOf();
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const good = await proofFor(key, token);
  t.is((await guard.verify(dpopRequest(token, good))).scheme, 'DPoP');
  for (const segment of [0, 1, 2]) {
    const proof = withCharacter(await proofFor(key, token), segment, '+');
    t.like(await refusalOf(issuer, guard, dpopRequest(token, proof)), { status: 401, code: 'ERR_DPOP_PROOF_MALFORMED', jwksFetches: 0 }, `segment ${segment}`);
  }
});

test('§3.14 RFC 9701 introspection response: a character outside base64url → 503, never read', async (t) => {
  for (const segment of [0, 1, 2]) {
    const jwt = withCharacter(await signIntrospectionJwt(issuer), segment, '+');
    const error = await introspectWith(jwtAnswer(jwt));
    t.like(error, { status: 503, code: 'ERR_INTROSPECTION_JWT_MALFORMED' }, `segment ${segment}`);
  }
});

// §3.1 / §2.11 alg compared exactly --------------------------------------------------------------

test('§3.1, §2.11 access token: alg is compared case-sensitively (es256, Es256, "ES256 ", None, NONE) before any key fetch', async (t) => {
  const guard = guardOf();
  const key = issuer.published[0]!;
  for (const alg of ['es256', 'Es256', 'ES256 ', ' ES256', 'ES256\u0000', 'None', 'NONE', 'nOnE', 'none']) {
    const token = rawJws({ alg, typ: 'at+jwt', kid: key.kid }, issuer.claims(), alg.toLowerCase().includes('none') ? 'none' : keySigner(key));
    t.like(await refusalOf(issuer, guard, bearerRequest(token)), { status: 401, code: 'ERR_JWT_ALG_NOT_ALLOWED', jwksFetches: 0 }, JSON.stringify(alg));
  }
  t.throws(() => guardOf({ algorithms: ['es256'] }), { instanceOf: TypeError, message: /"algorithms" contains unsupported "es256"/ });
  t.throws(() => guardOf({ dpop: { algorithms: ['es256'] } }), { instanceOf: TypeError, message: /dpop\.algorithms/ });
});

test('§3.1, §2.11 a JWKS key whose alg member is "es256" is never used for ES256', async (t) => {
  const guard = guardOf();
  const key = issuer.createKey('ES256');
  issuer.published.push({ ...key, publicJwk: { ...key.publicJwk, alg: 'es256' } });
  try {
    const error = await rejectionOf(guard.verify(bearerRequest(await issuer.sign({}, { key }))));
    t.is(error.code, 'ERR_JWKS_NO_MATCHING_KEY');
  } finally {
    issuer.published.pop();
  }
});

test('§3.1, §2.11 DPoP proof: alg es256 or None → invalid_dpop_proof', async (t) => {
  const guard = guardOf();
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  for (const alg of ['es256', 'None']) {
    const header = { typ: 'dpop+jwt', alg, jwk: key.publicJwk };
    const claims = { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) };
    const proof = alg === 'None' ? rawJws(header, claims, 'none') : rawJws(header, claims, (input) => signEs256(key, input));
    t.like(await refusalOf(issuer, guard, dpopRequest(token, proof)), { status: 401, code: 'ERR_DPOP_ALG_NOT_ALLOWED' }, alg);
  }
});

test('§3.1, §2.11 RFC 9701 introspection response: alg es256 → 503', async (t) => {
  const key = issuer.published[0]!;
  const header = encodeSegment({ alg: 'es256', kid: key.kid, typ: 'token-introspection+jwt' });
  const payload = encodeSegment({ iss: issuer.issuer, aud: CLIENT_ID, iat: nowSeconds(), token_introspection: activeBody({ iss: issuer.issuer }) });
  const signature = keySigner(key)(Buffer.from(`${header}.${payload}`)).toString('base64url');
  t.like(await introspectWith(jwtAnswer(`${header}.${payload}.${signature}`)), { status: 503, code: 'ERR_INTROSPECTION_JWT_ALG_NOT_ALLOWED' });
});

// §3.11 / §3.12 explicit typing, mutually exclusive kinds -------------------------------------

test('§3.11 each kind is checked for its own typ: an access token as a DPoP proof, a proof or an RFC 9701 response as an access token', async (t) => {
  const guard = guardOf();
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  // A proof typed as an access token (every other check of the proof would pass).
  const claims = { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) };
  const typedAsToken = rawJws({ typ: 'at+jwt', alg: 'ES256', jwk: key.publicJwk }, claims, (input) => signEs256(key, input));
  t.like(await refusalOf(issuer, guard, dpopRequest(token, typedAsToken)), { status: 401, code: 'ERR_DPOP_TYP_INVALID' });
  for (const typ of ['dpop+jwt', 'token-introspection+jwt', 'secevent+jwt', 'logout+jwt', 'JWT', undefined]) {
    t.like(await refusalOf(issuer, guard, bearerRequest(await issuer.sign({}, { header: { typ } }))), { status: 401, code: 'ERR_JWT_TYP_INVALID' }, String(typ));
  }
  const relaxed = guardOf({ allowGenericJwtTyp: true });
  for (const typ of ['dpop+jwt', 'token-introspection+jwt', 'secevent+jwt', 'logout+jwt']) {
    t.like(await refusalOf(issuer, relaxed, bearerRequest(await issuer.sign({}, { header: { typ } }))), { status: 401, code: 'ERR_JWT_TYP_INVALID' }, `relaxed ${typ}`);
  }
  t.like(await introspectWith(jwtAnswer(await signIntrospectionJwt(issuer, {}, { typ: 'at+jwt' }))), { status: 503, code: 'ERR_INTROSPECTION_JWT_TYP_INVALID' });
});

test('§3.11, §3.12 a logout token (a Security Event Token) is refused even where typ "JWT" and fewer required claims are allowed', async (t) => {
  // A back-channel logout token of the same issuer, for a client whose id is this API's audience.
  const logout = {
    jti: randomUUID(), sid: 'session-1', client_id: undefined, scope: undefined,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  };
  const relaxed = guardOf({ allowGenericJwtTyp: true, requiredClaims: ['iss', 'exp', 'aud'] });
  for (const typ of ['JWT', 'logout+jwt', undefined]) {
    const error = await rejectionOf(relaxed.verify(bearerRequest(await issuer.sign(logout, { header: { typ } }))));
    t.is(error.code, typ === 'logout+jwt' ? 'ERR_JWT_TYP_INVALID' : 'ERR_TOKEN_SECURITY_EVENT', String(typ));
    t.false(`${error.message} ${error.detail}`.includes('session-1'), 'no claim value in the error');
  }
  // An introspection answer describing a SET is refused the same way.
  t.like(await introspectWith({ body: activeBody({ events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': {} } }) }, false), {
    status: 401, code: 'ERR_TOKEN_SECURITY_EVENT',
  });
  // An access token with a non-object `events` claim is not a SET.
  t.is((await relaxed.verify(bearerRequest(await issuer.sign({ events: 'calendar' })))).subject, 'user-123');
});

// §3.10 kid, jku, x5u, x5c, jwk are attacker input ------------------------------------------------

test('§3.10 DPoP proof: jku, x5u and x5c are never fetched or used; only the embedded jwk is the key (RFC 9449 §4.2)', async (t) => {
  const hits: string[] = [];
  const spy = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('{}');
  });
  await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => spy.close(() => resolve())));
  const spyUrl = `http://127.0.0.1:${(spy.address() as AddressInfo).port}/keys`;
  const guard = guardOf();
  const key = await clientKey();
  const other = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const claims = () => ({ htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) });
  const pointers = { jku: spyUrl, x5u: spyUrl, x5c: ['MIIBfake'], kid: '../../etc/passwd' };
  // Pointers beside the right jwk change nothing: the proof passes on its jwk.
  const withPointers = rawJws({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, ...pointers }, claims(), (input) => signEs256(key, input));
  t.is((await guard.verify(dpopRequest(token, withPointers))).scheme, 'DPoP');
  // Without a jwk, pointers do not stand in for it.
  const noJwk = rawJws({ typ: 'dpop+jwt', alg: 'ES256', ...pointers }, claims(), (input) => signEs256(key, input));
  t.like(await refusalOf(issuer, guard, dpopRequest(token, noJwk)), { status: 401, code: 'ERR_DPOP_JWK_INVALID' });
  // Signed by another key that the pointers offer: still judged by the embedded jwk.
  const offered = rawJws({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, ...pointers }, claims(), (input) => signEs256(other, input));
  t.like(await refusalOf(issuer, guard, dpopRequest(token, offered)), { status: 401, code: 'ERR_DPOP_SIGNATURE_INVALID' });
  t.deepEqual(hits, [], 'nothing was fetched from the offered locations');
});

test('§3.10 RFC 9701 introspection response: jku, x5u, jwk point nowhere; only the issuer\'s keys verify it', async (t) => {
  const attacker = issuer.createKey('ES256');
  const jwt = await signIntrospectionJwt(issuer, {}, { kid: attacker.kid, jwk: attacker.publicJwk, jku: 'http://127.0.0.1:1/keys', x5u: 'http://127.0.0.1:1/cert' }, attacker);
  t.like(await introspectWith(jwtAnswer(jwt)), { status: 503, code: 'ERR_INTROSPECTION_JWT_SIGNATURE_INVALID' });
});

// helpers -----------------------------------------------------------------------------------

function signEs256(key: ClientKey, input: Buffer): Buffer {
  return keySigner({ alg: 'ES256', kid: '', privateKey: key.privateKey, publicKey: undefined as never, publicJwk: key.publicJwk })(input);
}

async function proofFor(key: ClientKey, token: string): Promise<string> {
  const claims = { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}

function dpopRequest(token: string, proof: string): GuardRequest {
  return { method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop: proof } };
}

/** The rejection of an opaque token whose introspection answer is `answer` (RFC 9701 unless `jwt` is false). */
async function introspectWith(answer: Parameters<typeof startEndpoint>[0] extends ((...args: never[]) => infer A) | undefined ? Awaited<A> : never, jwt = true) {
  const endpoint = await startEndpoint(() => answer);
  try {
    const guard = createGuard({
      issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, logger: { warn() {}, error() {} },
      introspection: { endpoint: endpoint.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, jwtResponse: jwt, cacheTtl: 0 },
    });
    const error = await rejectionOf(guard.verify(bearerRequest('an-opaque-token')));
    return { status: error.status, code: error.code as string };
  } finally {
    await endpoint.close();
  }
}
