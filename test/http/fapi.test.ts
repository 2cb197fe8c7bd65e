/**
 * The OpenID FAPI 2.0 conformance suite's resource-server checks, over HTTP on every adapter,
 * against a guard with `fapi: '2.0'`. Each case names the suite's test (and, for the DPoP
 * negative tests, the block of `fapi2-security-profile-final-dpop-negative-tests`); the suite
 * accepts 400 or 401 for each refusal, the guard answers 401 with the code shown. docs/fapi.md
 * has the same mapping.
 */
import { createHash, randomUUID } from 'node:crypto';
import test from 'ava';
import { CompactSign } from 'jose';
import { runCaseTable, type CaseContext, type Expectation, type HttpCase } from '../helpers/cases.js';
import { findChallenge } from '../helpers/challenge.js';
import { ath, clientHandle, clientKey, clientProof, nowSeconds, withoutUndefined, type ClientKey } from '../helpers/dpop.js';
import { encodeSegment, rawJws, type IssuerKey } from '../helpers/issuer.js';
import type { RawResponse } from '../helpers/http.js';

const FAPI = () => ({ fapi: '2.0' as const });
const SUITE = 'fapi2-security-profile-final';
const NEGATIVE = `${SUITE}-dpop-negative-tests`;

interface ProofShape {
  /** Header members over `{ typ, alg, jwk }`; `undefined` deletes one. */
  header?: Record<string, unknown>;
  /** Claims over `{ htm, htu, iat, jti, ath }`; `undefined` deletes one. */
  claims?: Record<string, unknown>;
  /** Signs with another key than the bound one (its `jwk` in the header). */
  signer?: ClientKey;
}

const htuOf = (c: CaseContext, path = '/protected') => `${c.app.url}${path}`;

/** A proof for `token` by `key` with the case's changes, signed with jose. */
async function proof(c: CaseContext, key: ClientKey, token: string, shape: ProofShape = {}): Promise<string> {
  const signer = shape.signer ?? key;
  const claims = withoutUndefined({ htm: 'GET', htu: htuOf(c), iat: nowSeconds(), jti: randomUUID(), ath: ath(token), ...shape.claims });
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: signer.alg, jwk: signer.publicJwk, ...shape.header });
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header as never).sign(signer.privateKey);
}

/** A DPoP-bound token and its client key. */
async function boundToken(c: CaseContext, alg = 'ES256'): Promise<{ key: ClientKey; token: string }> {
  const key = await clientKey(alg);
  return { key, token: await c.issuer.sign({ cnf: { jkt: key.jkt } }) };
}

async function sendDpop(c: CaseContext, token: string, proofs: string[], scheme = 'DPoP', path = '/protected'): Promise<{ response: RawResponse; secrets: string[] }> {
  const headers: Array<[string, string]> = [['authorization', `${scheme} ${token}`], ...proofs.map((value): [string, string] => ['dpop', value])];
  return { response: await c.send(path, { headers }), secrets: [token] };
}

/** One proof with `shape`, sent with its token. */
const withProof = (shape: ProofShape | ((c: CaseContext, key: ClientKey) => Promise<ProofShape>)) => async (c: CaseContext) => {
  const { key, token } = await boundToken(c);
  const resolved = typeof shape === 'function' ? await shape(c, key) : shape;
  return sendDpop(c, token, [await proof(c, key, token, resolved)]);
};

/** A refused proof: 401, `invalid_dpop_proof` in the DPoP challenge, none in the Bearer one. */
const badProof = (code: string): Pick<HttpCase, 'expect' | 'check'> => ({
  expect: { status: 401, error: null, code },
  check: (t, _c, response) => t.is(findChallenge(response.headers['www-authenticate'] as string, 'DPoP')?.params.error, 'invalid_dpop_proof'),
});

const invalidToken = (code: string): Expectation => ({ status: 401, error: 'invalid_token', code });

/** A refused token sent with the DPoP scheme: `invalid_token` in the DPoP challenge. */
const invalidDpopToken = (code: string): Pick<HttpCase, 'expect' | 'check'> => ({
  expect: { status: 401, error: null, code },
  check: (t, _c, response) => t.is(findChallenge(response.headers['www-authenticate'] as string, 'DPoP')?.params.error, 'invalid_token'),
});

/** Header members from another key pair: the private key of the proof key in `jwk`. */
const privateJwk = (key: ClientKey): Record<string, unknown> => ({ ...key.publicJwk, ...key.privateKey.export({ format: 'jwk' }) });

const table: HttpCase[] = [
  {
    title: `${SUITE}-happy-flow: a DPoP-bound token with an oauth4webapi proof → 200`,
    options: FAPI,
    async run(c) {
      const { handle, jkt } = await clientHandle('ES256');
      const token = await c.issuer.sign({ cnf: { jkt } });
      return sendDpop(c, token, [await clientProof(handle, token, htuOf(c))]);
    },
    expect: { status: 200 },
  },
  {
    title: `${SUITE}-happy-flow DisallowAccessTokenInQuery (§5.3.4-2): the token only in the query → 401, as if absent`,
    options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      const headers: Array<[string, string]> = [['dpop', await proof(c, key, token)]];
      return { response: await c.send(`/protected?access_token=${encodeURIComponent(token)}`, { headers }), secrets: [token] };
    },
    expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' },
  },
  {
    title: 'FAPI 2.0 §5.3.4-5: an unbound Bearer token → 401 invalid_token, with the DPoP challenge advertising the FAPI algorithms',
    options: FAPI,
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.bearer(token), secrets: [token] };
    },
    expect: invalidToken('ERR_FAPI_SENDER_CONSTRAINT_REQUIRED'),
    check: (t, _c, response) => t.is(findChallenge(response.headers['www-authenticate'] as string, 'DPoP')?.params.algs, 'ES256 PS256 EdDSA Ed25519'),
  },
  {
    title: 'FAPI 2.0 §5.4.1-1: an access token signed with RS256 → 401 invalid_token',
    options: FAPI,
    alg: 'RS256',
    run: withProof({}),
    ...invalidDpopToken('ERR_JWT_ALG_NOT_ALLOWED'),
  },
  {
    title: 'FAPI 2.0 §5.4.1-2: a PS256 token whose JWKS key has 1024 bits → 401 invalid_token',
    options: FAPI,
    async run(c) {
      const { generateKeyPairSync, sign } = await import('node:crypto');
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const kid = randomUUID();
      c.issuer.published.unshift({ kid, alg: 'PS256', privateKey, publicKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'PS256' } } as IssuerKey);
      const key = await clientKey('ES256');
      const input = `${encodeSegment({ alg: 'PS256', typ: 'at+jwt', kid })}.${encodeSegment(c.issuer.claims({ cnf: { jkt: key.jkt } }))}`;
      const token = `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, padding: 6, saltLength: 32 }).toString('base64url')}`;
      return sendDpop(c, token, [await proof(c, key, token)]);
    },
    ...invalidDpopToken('ERR_JWKS_NO_MATCHING_KEY'),
  },
  { title: `${NEGATIVE} "DPoP proof with all upper case header value" (the header name DPOP) → 200`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      return { response: await c.send('/protected', { headers: [['authorization', `DPoP ${token}`], ['DPOP', await proof(c, key, token)]] }), secrets: [token] };
    },
    expect: { status: 200 } },
  { title: `${NEGATIVE} "more than one DPoP in the header" → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      return sendDpop(c, token, [await proof(c, key, token), await proof(c, key, token)]);
    },
    ...badProof('ERR_DPOP_PROOF_MULTIPLE') },
  { title: `${NEGATIVE} "DPoP proof not well-formed JWT" → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      return sendDpop(c, token, [`${await proof(c, key, token)}.extra`]);
    },
    ...badProof('ERR_DPOP_PROOF_MALFORMED') },
  { title: `${NEGATIVE} "'typ' is missing in header" → 401`, options: FAPI, run: withProof({ header: { typ: undefined } }), ...badProof('ERR_DPOP_TYP_INVALID') },
  { title: `${NEGATIVE} "invalid 'typ' in header" → 401`, options: FAPI, run: withProof({ header: { typ: 'jwt' } }), ...badProof('ERR_DPOP_TYP_INVALID') },
  { title: `${NEGATIVE} "'alg' is missing" → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      const signed = await proof(c, key, token);
      const [, payload, signature] = signed.split('.');
      return sendDpop(c, token, [`${encodeSegment({ typ: 'dpop+jwt', jwk: key.publicJwk })}.${payload}.${signature}`]);
    },
    ...badProof('ERR_DPOP_PROOF_MALFORMED') },
  { title: `${NEGATIVE} "'jwk' is missing" → 401`, options: FAPI, run: withProof({ header: { jwk: undefined } }), ...badProof('ERR_DPOP_JWK_INVALID') },
  { title: `${NEGATIVE} "'jti' is missing" → 401`, options: FAPI, run: withProof({ claims: { jti: undefined } }), ...badProof('ERR_DPOP_JTI_INVALID') },
  { title: `${NEGATIVE} "'htm' is missing" → 401`, options: FAPI, run: withProof({ claims: { htm: undefined } }), ...badProof('ERR_DPOP_HTM_MISMATCH') },
  { title: `${NEGATIVE} "'htu' is missing" → 401`, options: FAPI, run: withProof({ claims: { htu: undefined } }), ...badProof('ERR_DPOP_HTU_MISMATCH') },
  { title: `${NEGATIVE} "'iat' is missing" → 401`, options: FAPI, run: withProof({ claims: { iat: undefined } }), ...badProof('ERR_DPOP_IAT_INVALID') },
  { title: `${NEGATIVE} "'ath' is missing" → 401`, options: FAPI, run: withProof({ claims: { ath: undefined } }), ...badProof('ERR_DPOP_ATH_MISSING') },
  { title: `${NEGATIVE} "signed using RS256" (FAPI 2.0 §5.4.1-1) → 401`, options: FAPI,
    async run(c) {
      const key = await clientKey('RS256');
      const token = await c.issuer.sign({ cnf: { jkt: key.jkt } });
      return sendDpop(c, token, [await proof(c, key, token)]);
    },
    ...badProof('ERR_DPOP_ALG_NOT_ALLOWED') },
  { title: `${NEGATIVE} "none alg" → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      const none = rawJws({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, { htm: 'GET', htu: htuOf(c), iat: nowSeconds(), jti: randomUUID(), ath: ath(token) }, 'none');
      return sendDpop(c, token, [none]);
    },
    ...badProof('ERR_DPOP_ALG_NOT_ALLOWED') },
  { title: `${NEGATIVE} "HS256" (a symmetric proof) → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      const input = { htm: 'GET', htu: htuOf(c), iat: nowSeconds(), jti: randomUUID(), ath: ath(token) };
      const hs = rawJws({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk }, input, (data) => createHash('sha256').update(data).digest());
      return sendDpop(c, token, [hs]);
    },
    ...badProof('ERR_DPOP_ALG_NOT_ALLOWED') },
  { title: `${NEGATIVE} "invalid signature" → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      const signed = await proof(c, key, token);
      const flipped = `${signed.slice(0, -4)}${signed.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      return sendDpop(c, token, [flipped]);
    },
    ...badProof('ERR_DPOP_SIGNATURE_INVALID') },
  { title: `${NEGATIVE} "jwk header incorrectly containing private key" → 401`, options: FAPI,
    run: withProof(async (_c, key) => ({ header: { jwk: privateJwk(key) } })), ...badProof('ERR_DPOP_JWK_PRIVATE') },
  { title: `${NEGATIVE} "incorrect 'htm'" (PUT) → 401`, options: FAPI, run: withProof({ claims: { htm: 'PUT' } }), ...badProof('ERR_DPOP_HTM_MISMATCH') },
  { title: `${NEGATIVE} "'htu' has a query/fragment" (ignored) → 200`, options: FAPI,
    run: withProof(async (c) => ({ claims: { htu: `${htuOf(c)}?foo=bar#frag` } })), expect: { status: 200 } },
  { title: `${NEGATIVE} "'htu' does not contain the query" (the request has one) → 200`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      return sendDpop(c, token, [await proof(c, key, token)], 'DPoP', '/protected?page=2');
    },
    expect: { status: 200 } },
  { title: `${NEGATIVE} "'htu' is a different url" → 401`, options: FAPI,
    run: withProof(async (c) => ({ claims: { htu: htuOf(c, '/other') } })), ...badProof('ERR_DPOP_HTU_MISMATCH') },
  { title: `${NEGATIVE} "'iat' is one hour in the future" → 401`, options: FAPI,
    run: withProof({ claims: { iat: nowSeconds() + 3600 } }), ...badProof('ERR_DPOP_IAT_FUTURE') },
  { title: `${NEGATIVE} "'iat' is one hour in the past" → 401`, options: FAPI,
    run: withProof({ claims: { iat: nowSeconds() - 3600 } }), ...badProof('ERR_DPOP_IAT_EXPIRED') },
  { title: `${NEGATIVE} "DPoP reuse": the first use of a jti → 200, the second → 401`, options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      const once = await proof(c, key, token);
      c.notes.first = (await sendDpop(c, token, [once])).response.status;
      return sendDpop(c, token, [once]);
    },
    expect: { status: 401, error: null, code: 'ERR_DPOP_JTI_REPLAYED', handlerCalls: 1 },
    check: (t, c, response) => {
      t.is(c.notes.first, 200);
      t.is(findChallenge(response.headers['www-authenticate'] as string, 'DPoP')?.params.error, 'invalid_dpop_proof');
    } },
  { title: `${NEGATIVE} "'ath' is incorrect" → 401`, options: FAPI, run: withProof({ claims: { ath: ath('another-token') } }), ...badProof('ERR_DPOP_ATH_MISMATCH') },
  { title: `${NEGATIVE} "signed with a different key" → 401 invalid_token`, options: FAPI,
    run: withProof(async () => ({ signer: await clientKey('ES256') })),
    ...invalidDpopToken('ERR_DPOP_BINDING_MISMATCH') },
  { title: `${NEGATIVE} "extra claims on header and claims" (ignored) → 200`, options: FAPI,
    run: withProof({ header: { extra: 'header' }, claims: { extra: 'claim' } }), expect: { status: 200 } },
  { title: `${NEGATIVE} "compare scheme and hostname using case independent mode" (htu upper case) → 200`, options: FAPI,
    run: withProof(async (c) => ({ claims: { htu: htuOf(c).replace('http://127.0.0.1', 'HTTP://127.0.0.1') } })), expect: { status: 200 } },
  { title: `${NEGATIVE} "the port is not considered if that is the default for the scheme" (dpop.baseUrl https, htu :443) → 200`,
    options: () => ({ fapi: '2.0', dpop: { baseUrl: 'https://api.example.test' } }),
    run: withProof({ claims: { htu: 'https://api.example.test:443/protected' } }), expect: { status: 200 } },
  { title: `${NEGATIVE} "resource access without DPoP proof" → 401`, options: FAPI,
    async run(c) {
      const { token } = await boundToken(c);
      return sendDpop(c, token, []);
    },
    ...badProof('ERR_DPOP_PROOF_MISSING') },
  { title: `${NEGATIVE} "without DPoP proof and authorization type changed to 'Bearer'" → 401`, options: FAPI,
    async run(c) {
      const { token } = await boundToken(c);
      return sendDpop(c, token, [], 'Bearer');
    },
    expect: invalidToken('ERR_DPOP_BEARER_DOWNGRADE') },
  { title: `${SUITE}-ensure-dpopproof-with-iat-10seconds-before-succeeds → 200`, options: FAPI,
    run: withProof({ claims: { iat: nowSeconds() - 10 } }), expect: { status: 200 } },
  { title: `${SUITE}-ensure-dpopproof-with-iat-10seconds-after-succeeds (the suite sends +8 s) → 200`, options: FAPI,
    run: withProof({ claims: { iat: nowSeconds() + 8 } }), expect: { status: 200 } },
  { title: `${SUITE}-check-dpop-proof-nbf-exp: a proof with nbf now and exp in five minutes → 200`, options: FAPI,
    run: withProof({ claims: { nbf: nowSeconds(), exp: nowSeconds() + 300 } }), expect: { status: 200 } },
  { title: 'fapi2-security-profile-final-client-test-rs-dpop-auth-scheme-case-insensitivity: the scheme as "dpop" → 200', options: FAPI,
    async run(c) {
      const { key, token } = await boundToken(c);
      return sendDpop(c, token, [await proof(c, key, token)], 'dpop');
    },
    expect: { status: 200 } },
];

runCaseTable(test, table);
