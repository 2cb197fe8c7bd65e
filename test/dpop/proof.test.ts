/**
 * DPoP (RFC 9449) unit tests on the core: the RFC vectors, start-up validation, one rejection per
 * §4.3 check (each with its own code), replay (sequential and concurrent) and the replay store.
 * Proofs come from the real client library (oauth4webapi) for the good cases and are hand-built
 * with jose (or raw, for what jose refuses to sign) for the hostile ones. Tokens are RFC 9068 JWTs
 * signed by a loopback mock issuer; requests are hand-built `GuardRequest`s. On both backends;
 * what calls the synchronous proof check directly is in proof.node.test.ts.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { CompactSign } from 'jose';
import type * as oauth from 'oauth4webapi';
import {
  createGuard, createMemoryStore, type GuardError, type GuardOptions, type GuardRequest, type Store,
} from '@resource-guard/core';
import {
  accessTokenHash, createDpopVerifier, DEFAULT_DPOP_ALGORITHMS, jwkThumbprint, normalizeHttpUri, verifyDpopProof,
} from '../../packages/core/dist/dpop/verifier.js';
import { resolveOptions } from '../../packages/core/dist/options/guard-options.js';
import { parseChallenges } from '../helpers/challenge.js';
import {
  ath, clientHandle, clientKey, clientProof, joseProof, nowSeconds, proofClaims, rawProof, RESOURCE_URL, RFC9449, type ClientKey,
} from '../helpers/dpop.js';
import { AUDIENCE, rawJws, useMockIssuer } from '../helpers/issuer.js';

const issuer = useMockIssuer(test);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** A proof made by the real client library for `token` (captured, not sent). */
const proofFor = (handle: oauth.DPoPHandle, token: string, method = 'GET', url = RESOURCE_URL) => clientProof(handle, token, url, method);

function guardOf(options: Partial<GuardOptions> = {}) {
  return createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, ...options });
}

function dpopRequest(token: string, proof: string | string[] | undefined, overrides: Partial<GuardRequest> = {}): GuardRequest {
  const headers: Record<string, string | string[]> = { authorization: `DPoP ${token}` };
  if (proof !== undefined) headers.dpop = proof;
  return { method: 'GET', url: `${RESOURCE_URL}?page=2`, headers, ...overrides };
}

/**
 * Asserts a rejection: code, status, RFC error, error details only in the DPoP challenge (which
 * lists the algorithms), and no token / proof in the message or headers.
 */
async function rejects(
  t: ExecutionContext,
  promise: Promise<unknown>,
  code: string,
  { status = 401, error = 'invalid_dpop_proof', secrets = [] as string[] } = {},
): Promise<GuardError> {
  const err = await t.throwsAsync(promise) as GuardError;
  t.is(err?.code as string | undefined, code, 'code');
  t.is(err?.status, status, 'status');
  t.is(err?.error as string | undefined, error, 'RFC error value');
  const challenges = parseChallenges(err.headers['WWW-Authenticate']);
  const dpop = challenges.find((challenge) => challenge.scheme === 'DPoP');
  t.truthy(dpop?.params.algs, 'DPoP challenge with algs');
  t.is(dpop?.params.error, error, 'error in the DPoP challenge');
  t.is(challenges.find((challenge) => challenge.scheme === 'Bearer')?.params.error, undefined, 'no error in the Bearer challenge');
  for (const secret of secrets) {
    t.false(err.message.includes(secret), 'message must not contain a credential');
    t.false(JSON.stringify(err.headers).includes(secret), 'headers must not contain a credential');
  }
  return err;
}

// ---------------------------------------------------------------------------------------------
// RFC vectors
// ---------------------------------------------------------------------------------------------

const RFC7638_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

/** A DPoP verifier as the guard builds it, with the clock set to `at` (epoch seconds). */
function rfcVerifier(at: number, dpop: GuardOptions['dpop'] = {}) {
  const resolved = resolveOptions({ issuer: 'https://server.example.com', audience: 'https://resource.example.org', clock: () => at * 1000, dpop });
  return createDpopVerifier(resolved.dpop!, resolved);
}

function rfcRequest(overrides: Partial<GuardRequest> = {}): GuardRequest {
  return {
    method: 'GET',
    url: RFC9449.url,
    headers: { host: 'resource.example.org', authorization: `DPoP ${RFC9449.token}`, dpop: RFC9449.proof },
    ...overrides,
  };
}

test('RFC 7638 §3.1: JWK thumbprint of the example RSA key (optional members ignored)', (t) => {
  t.is(jwkThumbprint(RFC7638_KEY), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  const { alg: _alg, kid: _kid, ...bare } = RFC7638_KEY;
  t.is(jwkThumbprint(bare), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  t.is(jwkThumbprint({ kty: 'RSA', e: 'AQAB' }), undefined, 'a required member is missing');
  t.is(jwkThumbprint({ kty: 'oct', k: 'AAAA' }), undefined, 'no thumbprint for symmetric keys');
  t.is(jwkThumbprint({ kty: '__proto__' }), undefined);
});

test('RFC 7638: thumbprints agree with jose for EC, RSA and OKP keys', async (t) => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'RS256', 'EdDSA']) {
    const key = await clientKey(alg);
    t.is(jwkThumbprint(key.publicJwk as Record<string, unknown>), key.jkt, alg);
  }
});

test('RFC 9449 §4.2: ath of the example access token', (t) => {
  t.is(accessTokenHash(RFC9449.token), RFC9449.ath);
});

test('RFC 9449 §7.1: the example request passes the DPoP verifier, once', async (t) => {
  const verifier = rfcVerifier(RFC9449.iat);
  t.deepEqual(await verifier.verify(rfcRequest(), RFC9449.token, RFC9449.jkt), {});
  const replay = await t.throwsAsync(verifier.verify(rfcRequest(), RFC9449.token, RFC9449.jkt)) as GuardError;
  t.is(replay.code, 'ERR_DPOP_JTI_REPLAYED');
  t.is(replay.error, 'invalid_dpop_proof');
});

test('RFC 9449 §7.1: the example request end to end through createGuard (opaque token, introspected)', async (t) => {
  // The RFC's token is opaque: a loopback introspection endpoint vouches for it, bound to the RFC key.
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      calls.push(new URLSearchParams(body).get('token') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        active: true, token_type: 'DPoP', cnf: { jkt: RFC9449.jkt }, aud: 'https://resource.example.org',
        client_id: 's6BhdRkqt3', sub: 'user', scope: 'read', iat: RFC9449.iat - 60, exp: RFC9449.iat + 2677,
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const guard = createGuard({
      issuer: 'https://server.example.com',
      audience: 'https://resource.example.org',
      clock: () => RFC9449.iat * 1000,
      introspection: { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`, clientId: 'rs', clientSecret: 'rs-secret', timeout: 30_000 },
    });
    const { auth, headers } = await guard.authenticate(rfcRequest());
    t.deepEqual(calls, [RFC9449.token]);
    t.like(auth, { scheme: 'DPoP', format: 'opaque', clientId: 's6BhdRkqt3', confirmation: { jkt: RFC9449.jkt } });
    t.deepEqual(headers, {});
    const replay = await t.throwsAsync(guard.authenticate(rfcRequest())) as GuardError;
    t.is(replay.code, 'ERR_DPOP_JTI_REPLAYED');
    const bearer = await t.throwsAsync(guard.authenticate(rfcRequest({ headers: { authorization: `Bearer ${RFC9449.token}` } }))) as GuardError;
    t.is(bearer.code, 'ERR_DPOP_BEARER_DOWNGRADE', 'token_type DPoP from introspection: no downgrade');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('RFC 9449 §7.1: the example request fails when anything about it changes', async (t) => {
  const codeOf = async (call: () => unknown) => ((await t.throwsAsync(async () => call())) as GuardError).code;
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat + 301 + 10).verify(rfcRequest(), RFC9449.token, RFC9449.jkt)), 'ERR_DPOP_IAT_EXPIRED');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat - 60).verify(rfcRequest(), RFC9449.token, RFC9449.jkt)), 'ERR_DPOP_IAT_FUTURE');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat).verify(rfcRequest(), `${RFC9449.token}x`, RFC9449.jkt)), 'ERR_DPOP_ATH_MISMATCH');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat).verify(rfcRequest({ method: 'POST' }), RFC9449.token, RFC9449.jkt)), 'ERR_DPOP_HTM_MISMATCH');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat).verify(rfcRequest({ url: 'https://resource.example.org/other' }), RFC9449.token, RFC9449.jkt)), 'ERR_DPOP_HTU_MISMATCH');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat).verify(rfcRequest(), RFC9449.token, RFC7638_KEY.n.slice(0, 43))), 'ERR_DPOP_BINDING_MISMATCH');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat, { algorithms: ['RS256'] }).verify(rfcRequest(), RFC9449.token, RFC9449.jkt)), 'ERR_DPOP_ALG_NOT_ALLOWED');
  t.is(await codeOf(() => rfcVerifier(RFC9449.iat, { nonce: true }).verify(rfcRequest(), RFC9449.token, RFC9449.jkt)), 'ERR_DPOP_NONCE_REQUIRED');
  // Scheme, host case and default port are normalised; the query is ignored.
  const normalised = rfcRequest({ url: 'HTTPS://Resource.Example.ORG:443/protectedresource?x=1#y' });
  t.deepEqual(await rfcVerifier(RFC9449.iat).verify(normalised, RFC9449.token, RFC9449.jkt), {});
});

test('htu normalisation (RFC 3986 §6.2.2-6.2.3)', (t) => {
  t.is(normalizeHttpUri('HTTPS://API.Example.TEST:443/a%7eb/%2f?q#f'), 'https://api.example.test/a~b/%2F');
  t.is(normalizeHttpUri('http://api.example.test:80'), 'http://api.example.test/');
  t.is(normalizeHttpUri('https://api.example.test:8443/x'), 'https://api.example.test:8443/x');
  t.is(normalizeHttpUri('https://user:pw@api.example.test/x'), undefined, 'userinfo');
  t.is(normalizeHttpUri('ftp://api.example.test/x'), undefined);
  t.is(normalizeHttpUri('/relative'), undefined);
});

// ---------------------------------------------------------------------------------------------
// Start-up validation
// ---------------------------------------------------------------------------------------------

test('dpop options are validated at start-up, naming the option', (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ algoritms: ['ES256'] }, /"dpop\.algoritms"/],
    [{ required: 'yes' }, /"dpop\.required"/],
    [{ algorithms: [] }, /"dpop\.algorithms"/],
    [{ algorithms: ['none'] }, /"dpop\.algorithms"/],
    [{ algorithms: ['HS256'] }, /"dpop\.algorithms"/],
    [{ algorithms: ['ES256', 'RS1'] }, /"dpop\.algorithms"/],
    [{ proofMaxAge: 0 }, /"dpop\.proofMaxAge"/],
    [{ proofMaxAge: '300' }, /"dpop\.proofMaxAge"/],
    [{ nonce: 'on' }, /"dpop\.nonce"/],
    [{ nonce: {} }, /"dpop\.nonce\.secret"/],
    [{ nonce: { secret: 'too short' } }, /"dpop\.nonce\.secret"/],
    [{ nonce: { secret: new Uint8Array(31) } }, /"dpop\.nonce\.secret"/],
    [{ nonce: { secret: 'x'.repeat(32), lifetime: 0 } }, /"dpop\.nonce\.lifetime"/],
    [{ nonce: { secret: 'x'.repeat(32), ttl: 5 } }, /"dpop\.nonce\.ttl"/],
    [{ baseUrl: 'api.example.test' }, /"dpop\.baseUrl"/],
    [{ baseUrl: 'https://api.example.test/?a=1' }, /"dpop\.baseUrl"/],
    [{ baseUrl: 'ftp://api.example.test' }, /"dpop\.baseUrl"/],
    [{ baseUrl: 42 }, /"dpop\.baseUrl"/],
  ];
  for (const [dpop, message] of bad) {
    t.throws(() => guardOf({ dpop: dpop as GuardOptions['dpop'] }), { instanceOf: TypeError, message }, JSON.stringify(dpop));
  }
  t.notThrows(() => guardOf({ dpop: { required: true, algorithms: ['ES256', 'EdDSA'], proofMaxAge: 60, nonce: { secret: new Uint8Array(32), lifetime: 30 }, baseUrl: 'https://api.example.test/v1/' } }));
  t.notThrows(() => guardOf({ dpop: false }));
});

test('the DPoP challenge lists exactly the accepted proof algorithms', async (t) => {
  const expectAlgs = async (dpop: GuardOptions['dpop'], algs: string) => {
    const err = await t.throwsAsync(guardOf({ dpop }).authenticate({ method: 'GET', url: RESOURCE_URL, headers: {} })) as GuardError;
    t.is(parseChallenges(err.headers['WWW-Authenticate']).find((challenge) => challenge.scheme === 'DPoP')?.params.algs, algs);
  };
  await expectAlgs(undefined, DEFAULT_DPOP_ALGORITHMS.join(' '));
  await expectAlgs({ algorithms: ['EdDSA', 'ES256'] }, 'EdDSA ES256');
});

// ---------------------------------------------------------------------------------------------
// Good proofs from the real client library
// ---------------------------------------------------------------------------------------------

for (const [alg, offloadSignatures] of ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'].flatMap((alg) => [[alg, false], [alg, true]] as const)) {
  test(`a proof by oauth4webapi (${alg}) for a DPoP-bound token is accepted${offloadSignatures ? ' (offloadSignatures)' : ''}`, async (t) => {
    const { handle, jkt } = await clientHandle(alg);
    const token = await issuer.sign({ cnf: { jkt } });
    const result = await guardOf({ offloadSignatures }).authenticate(dpopRequest(token, await proofFor(handle, token)));
    t.is(result.auth?.scheme, 'DPoP');
    t.deepEqual(result.auth?.confirmation, { jkt });
    t.deepEqual(result.headers, {});
  });
}

test('a POST proof is accepted for POST and the typ may carry the application/ prefix', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf();
  t.truthy((await guard.authenticate(dpopRequest(token, await proofFor(handle, token, 'POST'), { method: 'POST' }))).auth);
  const key = await clientKey();
  const bound = await issuer.sign({ cnf: { jkt: key.jkt } });
  const proof = await joseProof({ key, token: bound, header: { typ: 'application/dpop+jwt' } });
  t.truthy((await guard.authenticate(dpopRequest(bound, proof))).auth);
});

// ---------------------------------------------------------------------------------------------
// One rejection per check (RFC 9449 §4.3), each with its own code
// ---------------------------------------------------------------------------------------------

interface ProofCase {
  title: string;
  code: string;
  error?: string;
  guard?: Partial<GuardOptions>;
  /** Builds the proof (or the DPoP header values) for `token`, bound to `key`. */
  proof(key: ClientKey, token: string): Promise<string | string[] | undefined> | string | string[] | undefined;
  request?(token: string): Partial<GuardRequest>;
}

const proofCases: ProofCase[] = [
  { title: 'no DPoP header', code: 'ERR_DPOP_PROOF_MISSING', proof: () => undefined },
  {
    title: 'two DPoP header fields',
    code: 'ERR_DPOP_PROOF_MULTIPLE',
    proof: async (key, token) => [await joseProof({ key, token }), await joseProof({ key, token })],
  },
  {
    title: 'two DPoP header fields, seen through rawHeaders',
    code: 'ERR_DPOP_PROOF_MULTIPLE',
    proof: (key, token) => joseProof({ key, token }),
    request: (token) => ({ rawHeaders: ['Authorization', `DPoP ${token}`, 'DPoP', 'a.b.c', 'dpop', 'd.e.f'] }),
  },
  {
    title: 'two proofs comma-joined into one value (Node joins duplicate headers)',
    code: 'ERR_DPOP_PROOF_MULTIPLE',
    proof: async (key, token) => `${await joseProof({ key, token })}, ${await joseProof({ key, token })}`,
  },
  { title: 'an empty DPoP header', code: 'ERR_DPOP_PROOF_MALFORMED', proof: () => '' },
  { title: 'not a JWS', code: 'ERR_DPOP_PROOF_MALFORMED', proof: () => 'not-a-proof' },
  { title: 'two segments', code: 'ERR_DPOP_PROOF_MALFORMED', proof: async (key, token) => (await joseProof({ key, token })).split('.').slice(0, 2).join('.') },
  { title: 'four segments', code: 'ERR_DPOP_PROOF_MALFORMED', proof: async (key, token) => `${await joseProof({ key, token })}.AAAA` },
  {
    title: 'a payload that is not a JSON object',
    code: 'ERR_DPOP_PROOF_MALFORMED',
    proof: async (key, token) => {
      const [header, , signature] = (await joseProof({ key, token })).split('.');
      return `${header}.${Buffer.from('[1,2]').toString('base64url')}.${signature}`;
    },
  },
  {
    title: 'a proof over 8 KiB',
    code: 'ERR_DPOP_PROOF_TOO_LONG',
    proof: (key, token) => joseProof({ key, token, claims: { padding: 'x'.repeat(8192) } }),
  },
  { title: 'typ JWT', code: 'ERR_DPOP_TYP_INVALID', proof: (key, token) => joseProof({ key, token, header: { typ: 'JWT' } }) },
  { title: 'typ at+jwt (an access token as proof)', code: 'ERR_DPOP_TYP_INVALID', proof: (key, token) => joseProof({ key, token, header: { typ: 'at+jwt' } }) },
  { title: 'no typ', code: 'ERR_DPOP_TYP_INVALID', proof: (key, token) => joseProof({ key, token, header: { typ: undefined } }) },
  {
    title: 'alg none (with a signature)',
    code: 'ERR_DPOP_ALG_NOT_ALLOWED',
    proof: (key, token) => rawJws({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, proofClaims({ key, token }), () => Buffer.from('sig')),
  },
  {
    title: 'alg none (unsigned)',
    code: 'ERR_DPOP_ALG_NOT_ALLOWED',
    proof: (key, token) => rawJws({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, proofClaims({ key, token }), 'none'),
  },
  {
    title: 'alg HS256 keyed with the public key',
    code: 'ERR_DPOP_ALG_NOT_ALLOWED',
    proof: (key, token) => new CompactSign(new TextEncoder().encode(JSON.stringify(proofClaims({ key, token }))))
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })
      .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
  },
  {
    title: 'an asymmetric alg that is not configured',
    code: 'ERR_DPOP_ALG_NOT_ALLOWED',
    guard: { dpop: { algorithms: ['EdDSA'] } },
    proof: (key, token) => joseProof({ key, token }),
  },
  { title: 'a crit header', code: 'ERR_DPOP_CRIT_UNSUPPORTED', proof: (key, token) => rawProof({ key, token, header: { crit: ['exp'], exp: 1 } }) },
  { title: 'no jwk', code: 'ERR_DPOP_JWK_INVALID', proof: (key, token) => joseProof({ key, token, header: { jwk: undefined } }) },
  { title: 'a jwk that is not a key', code: 'ERR_DPOP_JWK_INVALID', proof: (key, token) => joseProof({ key, token, header: { jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } } }) },
  {
    title: 'a jwk that is a 1024-bit RSA key',
    code: 'ERR_DPOP_JWK_INVALID',
    proof: (key, token) => joseProof({ key, token, header: { jwk: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) } }),
  },
  {
    title: 'a jwk with the private key (d)',
    code: 'ERR_DPOP_JWK_PRIVATE',
    proof: (key, token) => joseProof({ key, token, header: { jwk: key.privateKey.export({ format: 'jwk' }) } }),
  },
  {
    title: 'a symmetric jwk (k)',
    code: 'ERR_DPOP_JWK_PRIVATE',
    proof: (key, token) => joseProof({ key, token, header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }),
  },
  {
    title: 'an RSA jwk with an ES256 proof',
    code: 'ERR_DPOP_JWK_ALG_MISMATCH',
    proof: async (key, token) => joseProof({ key, token, header: { jwk: (await clientKey('RS256')).publicJwk } }),
  },
  {
    title: 'a P-384 jwk with an ES256 proof',
    code: 'ERR_DPOP_JWK_ALG_MISMATCH',
    proof: async (key, token) => joseProof({ key, token, header: { jwk: (await clientKey('ES384')).publicJwk } }),
  },
  {
    title: 'signed by another key than its jwk',
    code: 'ERR_DPOP_SIGNATURE_INVALID',
    proof: async (key, token) => joseProof({ key: { ...(await clientKey()), publicJwk: key.publicJwk }, token }),
  },
  {
    title: 'a payload changed after signing',
    code: 'ERR_DPOP_SIGNATURE_INVALID',
    proof: async (key, token) => {
      const [header, , signature] = (await joseProof({ key, token })).split('.');
      const payload = Buffer.from(JSON.stringify(proofClaims({ key, token }))).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
  },
  { title: 'htm POST on a GET', code: 'ERR_DPOP_HTM_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htm: 'POST' } }) },
  { title: 'htm in lower case (compared case-sensitively)', code: 'ERR_DPOP_HTM_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htm: 'get' } }) },
  { title: 'no htm', code: 'ERR_DPOP_HTM_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htm: undefined } }) },
  { title: 'htu of another path', code: 'ERR_DPOP_HTU_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htu: 'https://api.example.test/admin' } }) },
  { title: 'htu of another host', code: 'ERR_DPOP_HTU_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htu: 'https://evil.example/orders' } }) },
  { title: 'htu with http instead of https', code: 'ERR_DPOP_HTU_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htu: 'http://api.example.test/orders' } }) },
  { title: 'htu with another port', code: 'ERR_DPOP_HTU_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htu: 'https://api.example.test:8443/orders' } }) },
  { title: 'no htu', code: 'ERR_DPOP_HTU_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htu: undefined } }) },
  { title: 'an htu that is not a URL', code: 'ERR_DPOP_HTU_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { htu: '/orders' } }) },
  { title: 'iat older than proofMaxAge', code: 'ERR_DPOP_IAT_EXPIRED', proof: (key, token) => joseProof({ key, token, claims: { iat: nowSeconds() - 300 - 10 - 2 } }) },
  {
    title: 'iat older than a configured proofMaxAge',
    code: 'ERR_DPOP_IAT_EXPIRED',
    guard: { dpop: { proofMaxAge: 30, clockTolerance: 0 } },
    proof: (key, token) => joseProof({ key, token, claims: { iat: nowSeconds() - 32 } }),
  },
  { title: 'iat in the future', code: 'ERR_DPOP_IAT_FUTURE', proof: (key, token) => joseProof({ key, token, claims: { iat: nowSeconds() + 60 } }) },
  { title: 'iat as a string', code: 'ERR_DPOP_IAT_INVALID', proof: (key, token) => joseProof({ key, token, claims: { iat: String(nowSeconds()) } }) },
  { title: 'no iat', code: 'ERR_DPOP_IAT_INVALID', proof: (key, token) => joseProof({ key, token, claims: { iat: undefined } }) },
  { title: 'no jti', code: 'ERR_DPOP_JTI_INVALID', proof: (key, token) => joseProof({ key, token, claims: { jti: undefined } }) },
  { title: 'an empty jti', code: 'ERR_DPOP_JTI_INVALID', proof: (key, token) => joseProof({ key, token, claims: { jti: '' } }) },
  { title: 'a numeric jti', code: 'ERR_DPOP_JTI_INVALID', proof: (key, token) => joseProof({ key, token, claims: { jti: 42 } }) },
  { title: 'a jti over 256 characters', code: 'ERR_DPOP_JTI_INVALID', proof: (key, token) => joseProof({ key, token, claims: { jti: 'j'.repeat(257) } }) },
  { title: 'no ath', code: 'ERR_DPOP_ATH_MISSING', proof: (key) => joseProof({ key }) },
  { title: 'ath of another token', code: 'ERR_DPOP_ATH_MISMATCH', proof: (key, token) => joseProof({ key, token, claims: { ath: ath(`${token}.other`) } }) },
  {
    title: 'a valid proof by another key than the token is bound to',
    code: 'ERR_DPOP_BINDING_MISMATCH',
    error: 'invalid_token',
    proof: async (_key, token) => joseProof({ key: await clientKey(), token }),
  },
];

for (const [item, offloadSignatures] of proofCases.flatMap((item) => [[item, false], [item, true]] as const)) {
  test(`rejects a proof with ${item.title} (${item.code})${offloadSignatures ? ' (offloadSignatures)' : ''}`, async (t) => {
    const key = await clientKey();
    const token = await issuer.sign({ cnf: { jkt: key.jkt } });
    const proof = await item.proof(key, token);
    const guard = guardOf({ ...item.guard, offloadSignatures });
    const secrets = [token, ...(proof === undefined ? [] : [proof].flat()).filter((value) => value.length > 0)];
    const err = await rejects(t, guard.authenticate(dpopRequest(token, proof, item.request?.(token))), item.code, { error: item.error, secrets });
    if (item.code === 'ERR_DPOP_BINDING_MISMATCH') t.is(err.message, 'Invalid DPoP key binding');
  });
}

test('a header seen before (cached) is still only as good as the rest of the proof', async (t) => {
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const guard = guardOf();
  const good = await joseProof({ key, token });
  t.truthy((await guard.authenticate(dpopRequest(token, good))).auth);
  const [header, payload, signature] = (await joseProof({ key, token })).split('.');
  const variants: Array<[string, string]> = [
    [`${header}.${payload}`, 'ERR_DPOP_PROOF_MALFORMED'],
    [`${header}.${payload}.${signature}.x`, 'ERR_DPOP_PROOF_MALFORMED'],
    [`${header}..${signature}`, 'ERR_DPOP_PROOF_MALFORMED'],
    [`${header}.${Buffer.from(JSON.stringify(proofClaims({ key, token }))).toString('base64url')}.${signature}`, 'ERR_DPOP_SIGNATURE_INVALID'],
    [await joseProof({ key, token, claims: { htm: 'DELETE' } }), 'ERR_DPOP_HTM_MISMATCH'],
    [good, 'ERR_DPOP_JTI_REPLAYED'],
  ];
  for (const [proof, code] of variants) await rejects(t, guard.authenticate(dpopRequest(token, proof)), code);
  t.truthy((await guard.authenticate(dpopRequest(token, `${header}.${payload}.${signature}`))).auth);
  // Another guard with another algorithm set does not share the cache.
  await rejects(t, guardOf({ dpop: { algorithms: ['RS256'] } }).authenticate(dpopRequest(token, await joseProof({ key, token }))), 'ERR_DPOP_ALG_NOT_ALLOWED');
});

test('the allowed window edges: iat just inside proofMaxAge and dpop.clockTolerance passes', async (t) => {
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const now = Date.now();
  // The guard's own clockTolerance (for access tokens) does not widen the proof window.
  const guard = guardOf({ clock: () => now, clockTolerance: 60, dpop: { proofMaxAge: 60, clockTolerance: 5 } });
  const at = Math.floor(now / 1000);
  t.truthy(await guard.authenticate(dpopRequest(token, await joseProof({ key, token, claims: { iat: at - 64 } }))));
  t.truthy(await guard.authenticate(dpopRequest(token, await joseProof({ key, token, claims: { iat: at + 4 } }))));
  await rejects(t, guard.authenticate(dpopRequest(token, await joseProof({ key, token, claims: { iat: at - 66 } }))), 'ERR_DPOP_IAT_EXPIRED');
  await rejects(t, guard.authenticate(dpopRequest(token, await joseProof({ key, token, claims: { iat: at + 6 } }))), 'ERR_DPOP_IAT_FUTURE');
});

test('an HMAC algorithm is refused by the proof check even if it were listed', async (t) => {
  const proof = await new CompactSign(new TextEncoder().encode(JSON.stringify({ htm: 'GET', htu: RESOURCE_URL, iat: nowSeconds(), jti: 'x' })))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } } as { alg: string })
    .sign(new TextEncoder().encode('secret'));
  const err = t.throws(() => verifyDpopProof(proof, {
    method: 'GET', url: RESOURCE_URL, accessToken: undefined, algorithms: new Set(['HS256']), now: nowSeconds(), maxAge: 60, clockTolerance: 5,
  })) as GuardError | undefined;
  t.is(err?.code, 'ERR_DPOP_ALG_NOT_ALLOWED');
});

// ---------------------------------------------------------------------------------------------
// Replay (RFC 9449 §11.1)
// ---------------------------------------------------------------------------------------------

test('a replayed proof is rejected (sequential)', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf();
  const proof = await proofFor(handle, token);
  t.truthy((await guard.authenticate(dpopRequest(token, proof))).auth);
  await rejects(t, guard.authenticate(dpopRequest(token, proof)), 'ERR_DPOP_JTI_REPLAYED', { secrets: [token, proof] });
  t.truthy((await guard.authenticate(dpopRequest(token, await proofFor(handle, token)))).auth, 'a fresh proof still works');
});

test('50 concurrent uses of one proof: exactly one passes', async (t) => {
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf();
  const proof = await proofFor(handle, token);
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => guard.authenticate(dpopRequest(token, proof))));
  t.is(results.filter((result) => result.status === 'fulfilled').length, 1);
  const codes = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as GuardError).code] : []));
  t.deepEqual([...new Set(codes)], ['ERR_DPOP_JTI_REPLAYED']);
});

test('50 concurrent replays through an asynchronous store: exactly one passes', async (t) => {
  const memory = createMemoryStore();
  const store: Store = {
    get: async (key) => memory.get(key),
    set: async (key, value, ttl) => memory.set(key, value, ttl),
    add: async (key, value, ttl) => {
      await new Promise((resolve) => setImmediate(resolve));
      return memory.add(key, value, ttl);
    },
  };
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const guard = guardOf({ store });
  const proof = await proofFor(handle, token);
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => guard.authenticate(dpopRequest(token, proof))));
  t.is(results.filter((result) => result.status === 'fulfilled').length, 1);
});

test('the replay marker: atomic add(), hashed key, kept for the whole iat window', async (t) => {
  const calls: Array<{ key: string; ttl: number }> = [];
  const memory = createMemoryStore();
  const store: Store = {
    get: (key) => memory.get(key),
    set: (key, value, ttl) => memory.set(key, value, ttl),
    add: (key, value, ttl) => {
      calls.push({ key, ttl });
      return memory.add(key, value, ttl);
    },
  };
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const jti = `jti-${randomUUID()}`;
  await guardOf({ store, clockTolerance: 3, dpop: { proofMaxAge: 120, clockTolerance: 7 } })
    .authenticate(dpopRequest(token, await joseProof({ key, token, claims: { jti } })));
  t.is(calls.length, 1);
  t.is(calls[0]!.ttl, 120 + 2 * 7);
  t.regex(calls[0]!.key, /^dpop:jti:[A-Za-z0-9_-]{43}$/);
  t.false(calls[0]!.key.includes(jti));
  t.is(calls[0]!.key, `dpop:jti:${createHash('sha256').update(`${key.jkt}:${jti}`).digest('base64url')}`);
});

test('the same jti from two different keys is not a replay (the marker is per key)', async (t) => {
  const guard = guardOf();
  for (let i = 0; i < 2; i += 1) {
    const key = await clientKey();
    const token = await issuer.sign({ cnf: { jkt: key.jkt } });
    t.truthy((await guard.authenticate(dpopRequest(token, await joseProof({ key, token, claims: { jti: 'shared-jti' } })))).auth);
  }
});

test('rejected proofs never reach the replay store', async (t) => {
  let adds = 0;
  const memory = createMemoryStore();
  const store: Store = { get: memory.get, set: memory.set, add: (key, value, ttl) => { adds += 1; return memory.add(key, value, ttl); } };
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const guard = guardOf({ store });
  await t.throwsAsync(guard.authenticate(dpopRequest(token, await joseProof({ key, token, claims: { htm: 'PUT' } }))));
  await t.throwsAsync(guard.authenticate(dpopRequest(token, await joseProof({ key: await clientKey(), token }))));
  t.is(adds, 0);
});

test('a failing replay store is a 503, never a pass', async (t) => {
  const memory = createMemoryStore();
  const store: Store = { get: memory.get, set: memory.set, add: () => Promise.reject(new Error('connection refused')) };
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  const err = await t.throwsAsync(guardOf({ store }).authenticate(dpopRequest(token, await proofFor(handle, token)))) as GuardError;
  t.is(err.code, 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE');
  t.is(err.status, 503);
  t.regex(err.headers['Retry-After'] ?? '', /^\d+$/);
  const throwing: Store = { get: memory.get, set: memory.set, add: () => { throw new Error('connection refused'); } };
  const sync = await t.throwsAsync(guardOf({ store: throwing }).authenticate(dpopRequest(token, await proofFor(handle, token)))) as GuardError;
  t.is(sync.code, 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE');
  t.is(sync.status, 503);
});

test('an add() that answers anything but true is treated as a replay', async (t) => {
  const memory = createMemoryStore();
  const store = { get: memory.get, set: memory.set, add: () => 'yes' } as unknown as Store;
  const { handle, jkt } = await clientHandle();
  const token = await issuer.sign({ cnf: { jkt } });
  await rejects(t, guardOf({ store }).authenticate(dpopRequest(token, await proofFor(handle, token))), 'ERR_DPOP_JTI_REPLAYED');
});
