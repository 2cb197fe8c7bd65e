/**
 * DPoP (RFC 9449) over HTTP: one case table, run against ALL adapters (Express, Koa, Fastify, fetch) through
 * the shared `startApp`, with the same expected status, parsed challenges and error code. One
 * failing request for every proof check and binding rule, replay (sequential and 50 concurrent),
 * and nonces (issue, retry, rotation, stale) driven by the real client library (oauth4webapi).
 */
import { randomUUID, sign as nodeSign } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { CompactSign } from 'jose';
import * as oauth from 'oauth4webapi';
import type { GuardOptions } from '@resource-guard/core';
import { FRAMEWORKS, startApp, type Framework, type TestApp } from '../helpers/apps.js';
import { parseChallenges } from '../helpers/challenge.js';
import { ath, clientKey, nowSeconds, withoutUndefined, type ClientKey } from '../helpers/dpop.js';
import { send, type RawResponse } from '../helpers/http.js';
import { limitCases } from '../helpers/limit.js';
import { AUDIENCE, rawJws, useMockIssuer } from '../helpers/issuer.js';

const DEFAULT_ALGS = 'ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519';

const issuer = useMockIssuer(test);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** What a case gets: the running app, a key, a token bound to it, and proof builders for this app. */
interface DpopContext {
  app: TestApp;
  /** `${app.url}/protected` — the URL proofs must name. */
  url: string;
  key: ClientKey;
  /** A token bound to `key`. */
  token: string;
  /** A jose-signed proof for GET `url` covering `token`, with header/claim overrides (`undefined` deletes). */
  proof(overrides?: { header?: Record<string, unknown>; claims?: Record<string, unknown>; key?: ClientKey; token?: string }): Promise<string>;
  /** The claims of a correct proof, with overrides. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Sends `Authorization: <scheme> <token>` plus the given DPoP header values to /protected. */
  send(proofs: string[], options?: { scheme?: string; token?: string; method?: string }): Promise<RawResponse>;
}

function contextFor(app: TestApp, key: ClientKey, token: string): DpopContext {
  const url = `${app.url}/protected`;
  const claims = (overrides: Record<string, unknown> = {}) => withoutUndefined({ htm: 'GET', htu: url, iat: nowSeconds(), jti: randomUUID(), ath: ath(token), ...overrides });
  return {
    app, url, key, token, claims,
    async proof({ header = {}, claims: claimOverrides = {}, key: signer = key, token: covered } = {}) {
      const payload = claims({ ...(covered === undefined ? {} : { ath: ath(covered) }), ...claimOverrides });
      return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(withoutUndefined({ typ: 'dpop+jwt', alg: signer.alg, jwk: signer.publicJwk, ...header }) as { alg: string })
        .sign(signer.privateKey);
    },
    send(proofs, { scheme = 'DPoP', token: sent = token, method = 'GET' } = {}) {
      return send(url, { method, headers: [['authorization', `${scheme} ${sent}`], ...proofs.map((proof): [string, string] => ['dpop', proof])] });
    },
  };
}

/** oauth4webapi against the app with real fetch: one request (no retry), the response or challenge error. */
async function clientRequest(handle: oauth.DPoPHandle, token: string, url: string): Promise<Response> {
  try {
    return await oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, { DPoP: handle, [oauth.allowInsecureRequests]: true });
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The case table
// ---------------------------------------------------------------------------------------------

interface Expectation {
  status: number;
  /** Stable code of the error the framework received. */
  code?: string;
  /** RFC error value; it must sit in the challenge of `scheme` and nowhere else. */
  error?: string;
  /** Scheme whose challenge carries the error. Default DPoP. */
  scheme?: 'Bearer' | 'DPoP';
  /** Expected `algs` of the DPoP challenge. Default: every default algorithm. */
  algs?: string;
  /** Schemes challenged, in order. Default Bearer, DPoP. */
  schemes?: string[];
  /** Handler runs in all. Default 0 on rejections. */
  handlerCalls?: number;
}

interface DpopCase {
  title: string;
  dpop?: GuardOptions['dpop'];
  run(context: DpopContext): Promise<{ response: RawResponse; secrets?: string[] }>;
  expect: Expectation;
  check?(t: ExecutionContext, context: DpopContext, response: RawResponse): void | Promise<void>;
}

const invalidProof = (code: string): Expectation => ({ status: 401, code, error: 'invalid_dpop_proof' });

/** A case sending one hand-built proof. */
function oneProof(title: string, code: string, build: (c: DpopContext) => Promise<string> | string, dpop?: GuardOptions['dpop']): DpopCase {
  return {
    title,
    dpop,
    run: async (c) => {
      const proof = await build(c);
      return { response: await c.send([proof]), secrets: [c.token, proof] };
    },
    expect: { ...invalidProof(code), ...(dpop === undefined ? {} : { algs: (dpop as { algorithms?: string[] }).algorithms?.join(' ') }) },
  };
}

const table: DpopCase[] = [
  {
    title: 'oauth4webapi proof for a DPoP-bound token → 200, scheme DPoP, token not echoed',
    run: async (c) => {
      const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }));
      const token = await issuer.sign({ cnf: { jkt: await handle.calculateThumbprint() } });
      const response = await clientRequest(handle, token, c.url);
      return { response: { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }, secrets: [token] };
    },
    expect: { status: 200, handlerCalls: 1 },
    check(t, _c, response) {
      const { auth } = JSON.parse(response.body) as { auth: Record<string, unknown> };
      t.is(auth.scheme, 'DPoP');
      t.is(auth.token, undefined);
      t.truthy((auth.confirmation as Record<string, unknown>).jkt);
      t.is(response.headers['dpop-nonce'], undefined, 'no nonce when nonces are off');
    },
  },
  { title: 'no DPoP header', run: async (c) => ({ response: await c.send([]), secrets: [c.token] }), expect: invalidProof('ERR_DPOP_PROOF_MISSING') },
  {
    title: 'two DPoP header fields',
    run: async (c) => ({ response: await c.send([await c.proof(), await c.proof()]), secrets: [c.token] }),
    expect: invalidProof('ERR_DPOP_PROOF_MULTIPLE'),
  },
  oneProof('two proofs comma-joined in one field', 'ERR_DPOP_PROOF_MULTIPLE', async (c) => `${await c.proof()},${await c.proof()}`),
  oneProof('a proof that is not a JWS', 'ERR_DPOP_PROOF_MALFORMED', () => 'not.a-jws'),
  oneProof('a proof over 8 KiB', 'ERR_DPOP_PROOF_TOO_LONG', (c) => c.proof({ claims: { pad: 'x'.repeat(8200) } })),
  oneProof('typ JWT', 'ERR_DPOP_TYP_INVALID', (c) => c.proof({ header: { typ: 'JWT' } })),
  oneProof('alg none', 'ERR_DPOP_ALG_NOT_ALLOWED', (c) => rawJws({ typ: 'dpop+jwt', alg: 'none', jwk: c.key.publicJwk }, c.claims(), () => Buffer.from('x'))),
  oneProof('alg HS256', 'ERR_DPOP_ALG_NOT_ALLOWED', (c) => new CompactSign(new TextEncoder().encode(JSON.stringify(c.claims())))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: c.key.publicJwk })
    .sign(new TextEncoder().encode(JSON.stringify(c.key.publicJwk)))),
  oneProof('an algorithm that is not configured', 'ERR_DPOP_ALG_NOT_ALLOWED', (c) => c.proof(), { algorithms: ['ES384', 'EdDSA'] }),
  oneProof('a crit header', 'ERR_DPOP_CRIT_UNSUPPORTED', (c) => rawJws(
    { typ: 'dpop+jwt', alg: 'ES256', jwk: c.key.publicJwk, crit: ['x'], x: 1 }, c.claims(),
    (input) => nodeSign('sha256', input, { key: c.key.privateKey, dsaEncoding: 'ieee-p1363' }),
  )),
  oneProof('a private jwk', 'ERR_DPOP_JWK_PRIVATE', (c) => c.proof({ header: { jwk: c.key.privateKey.export({ format: 'jwk' }) } })),
  oneProof('an invalid jwk', 'ERR_DPOP_JWK_INVALID', (c) => c.proof({ header: { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } } })),
  oneProof('a jwk of another key type than alg', 'ERR_DPOP_JWK_ALG_MISMATCH', async (c) => c.proof({ header: { jwk: (await clientKey('RS256')).publicJwk } })),
  oneProof('a signature by another key than jwk', 'ERR_DPOP_SIGNATURE_INVALID', async (c) => c.proof({ key: { ...(await clientKey()), publicJwk: c.key.publicJwk } })),
  oneProof('htm POST on GET', 'ERR_DPOP_HTM_MISMATCH', (c) => c.proof({ claims: { htm: 'POST' } })),
  oneProof('htu of another path', 'ERR_DPOP_HTU_MISMATCH', (c) => c.proof({ claims: { htu: `${c.app.url}/other` } })),
  oneProof('htu of another origin', 'ERR_DPOP_HTU_MISMATCH', (c) => c.proof({ claims: { htu: 'https://api.example.test/protected' } })),
  {
    title: 'htu of another server, with a matching client-sent Origin header → still rejected',
    run: async (c) => {
      const proof = await c.proof({ claims: { htu: 'https://other-api.example/protected' } });
      const response = await send(c.url, {
        headers: [['authorization', `DPoP ${c.token}`], ['dpop', proof], ['origin', 'https://other-api.example']],
      });
      return { response, secrets: [c.token, proof] };
    },
    expect: invalidProof('ERR_DPOP_HTU_MISMATCH'),
  },
  oneProof('a stale iat', 'ERR_DPOP_IAT_EXPIRED', (c) => c.proof({ claims: { iat: nowSeconds() - 600 } })),
  oneProof('an iat in the future', 'ERR_DPOP_IAT_FUTURE', (c) => c.proof({ claims: { iat: nowSeconds() + 600 } })),
  oneProof('no jti', 'ERR_DPOP_JTI_INVALID', (c) => c.proof({ claims: { jti: undefined } })),
  oneProof('no ath', 'ERR_DPOP_ATH_MISSING', (c) => c.proof({ claims: { ath: undefined } })),
  oneProof('ath of another token', 'ERR_DPOP_ATH_MISMATCH', (c) => c.proof({ token: 'another-token' })),
  {
    title: 'a valid proof by another key than the token is bound to → invalid_token',
    run: async (c) => {
      const proof = await c.proof({ key: await clientKey() });
      return { response: await c.send([proof]), secrets: [c.token, proof] };
    },
    expect: { status: 401, code: 'ERR_DPOP_BINDING_MISMATCH', error: 'invalid_token' },
    check(t, _c, response) {
      const dpop = parseChallenges(response.headers['www-authenticate'] as string).find((challenge) => challenge.scheme === 'DPoP');
      t.is(dpop?.params.error_description, 'Invalid DPoP key binding');
    },
  },
  {
    title: 'a replayed proof (sequential) → the second is rejected',
    run: async (c) => {
      const proof = await c.proof();
      const first = await c.send([proof]);
      if (first.status !== 200) throw new Error(`first use answered ${first.status}`);
      return { response: await c.send([proof]), secrets: [c.token, proof] };
    },
    expect: { ...invalidProof('ERR_DPOP_JTI_REPLAYED'), handlerCalls: 1 },
  },
  {
    title: '50 concurrent requests with one proof → exactly one 200',
    run: async (c) => {
      const proof = await c.proof();
      const responses = await Promise.all(Array.from({ length: 50 }, () => c.send([proof])));
      const statuses = responses.map((response) => response.status).sort();
      if (statuses.filter((status) => status === 200).length !== 1 || statuses.filter((status) => status === 401).length !== 49) {
        throw new Error(`statuses: ${statuses.join(',')}`);
      }
      return { response: responses.find((response) => response.status === 401)!, secrets: [c.token, proof] };
    },
    expect: { ...invalidProof('ERR_DPOP_JTI_REPLAYED'), handlerCalls: 1 },
  },
  {
    title: 'a DPoP-bound token sent as Bearer → invalid_token in the Bearer challenge',
    run: async (c) => ({ response: await c.send([], { scheme: 'Bearer' }), secrets: [c.token] }),
    expect: { status: 401, code: 'ERR_DPOP_BEARER_DOWNGRADE', error: 'invalid_token', scheme: 'Bearer' },
  },
  {
    title: 'a DPoP-bound token sent as Bearer with a valid proof → still rejected',
    run: async (c) => ({ response: await c.send([await c.proof()], { scheme: 'Bearer' }), secrets: [c.token] }),
    expect: { status: 401, code: 'ERR_DPOP_BEARER_DOWNGRADE', error: 'invalid_token', scheme: 'Bearer' },
  },
  {
    title: 'the DPoP scheme with an unbound token → invalid_token',
    run: async (c) => {
      const unbound = await issuer.sign();
      return { response: await c.send([await c.proof({ token: unbound })], { token: unbound }), secrets: [unbound] };
    },
    expect: { status: 401, code: 'ERR_DPOP_TOKEN_UNBOUND', error: 'invalid_token' },
  },
  {
    title: 'dpop.required: an unbound Bearer token → invalid_token, only DPoP challenged',
    dpop: { required: true },
    run: async (c) => {
      const unbound = await issuer.sign();
      return { response: await c.send([], { scheme: 'Bearer', token: unbound }), secrets: [unbound] };
    },
    expect: { status: 401, code: 'ERR_DPOP_REQUIRED', error: 'invalid_token', schemes: ['DPoP'] },
  },
  {
    title: 'dpop.required: no credentials → only DPoP challenged, no error',
    dpop: { required: true },
    run: async (c) => ({ response: await send(c.url) }),
    expect: { status: 401, code: 'ERR_CREDENTIALS_MISSING', schemes: ['DPoP'] },
  },
  {
    title: 'no credentials → Bearer and DPoP challenged, no error',
    run: async (c) => ({ response: await send(c.url) }),
    expect: { status: 401, code: 'ERR_CREDENTIALS_MISSING' },
  },
  {
    title: 'nonce on: first proof → use_dpop_nonce + DPoP-Nonce; oauth4webapi retries with it → 200',
    dpop: { nonce: true },
    run: async (c) => {
      const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }));
      const token = await issuer.sign({ cnf: { jkt: await handle.calculateThumbprint() } });
      const first = await clientRequest(handle, token, c.url);
      if (first.status !== 401 || first.headers.get('dpop-nonce') === null) throw new Error(`first answered ${first.status}`);
      const challenges = parseChallenges(first.headers.get('www-authenticate') ?? undefined);
      if (challenges.find((challenge) => challenge.scheme === 'DPoP')?.params.error !== 'use_dpop_nonce') throw new Error('no use_dpop_nonce');
      const retry = await clientRequest(handle, token, c.url);
      return { response: { status: retry.status, headers: Object.fromEntries(retry.headers), body: await retry.text() }, secrets: [token] };
    },
    expect: { status: 200, handlerCalls: 1 },
  },
  {
    title: 'nonce on: a proof without nonce → use_dpop_nonce with a DPoP-Nonce header',
    dpop: { nonce: true },
    run: async (c) => ({ response: await c.send([await c.proof()]), secrets: [c.token] }),
    expect: { status: 401, code: 'ERR_DPOP_NONCE_REQUIRED', error: 'use_dpop_nonce' },
    check(t, _c, response) {
      t.regex(String(response.headers['dpop-nonce']), /^[A-Za-z0-9_-]{43}$/);
    },
  },
  {
    title: 'nonce on: a stale nonce (of a previous secret/step) → use_dpop_nonce with a fresh one',
    dpop: { nonce: { secret: 'a shared secret of at least thirty-two bytes' } },
    run: async (c) => ({ response: await c.send([await c.proof({ claims: { nonce: 'r4nd0m-stale-nonce-from-an-old-step-xxxxxxx' } })]), secrets: [c.token] }),
    expect: { status: 401, code: 'ERR_DPOP_NONCE_REQUIRED', error: 'use_dpop_nonce' },
    check(t, _c, response) {
      t.regex(String(response.headers['dpop-nonce']), /^[A-Za-z0-9_-]{43}$/);
    },
  },
  {
    title: 'nonce on: the nonce from a use_dpop_nonce answer is accepted by a proof that carries it',
    dpop: { nonce: { secret: 'a shared secret of at least thirty-two bytes' } },
    run: async (c) => {
      const challenge = await c.send([await c.proof()]);
      const nonce = String(challenge.headers['dpop-nonce']);
      return { response: await c.send([await c.proof({ claims: { nonce } })]), secrets: [c.token] };
    },
    expect: { status: 200, handlerCalls: 1 },
  },
];

/** Standard assertions: status, code, challenges (error only in the used scheme's), no secret leaked. */
async function assertDpopCase(t: ExecutionContext, item: DpopCase, context: DpopContext, response: RawResponse, secrets: string[]) {
  const { expect } = item;
  t.is(response.status, expect.status, 'status');
  if (expect.status === 401) {
    const challenges = parseChallenges(response.headers['www-authenticate'] as string | undefined);
    t.deepEqual(challenges.map((challenge) => challenge.scheme), expect.schemes ?? ['Bearer', 'DPoP'], 'challenged schemes');
    const errorScheme = expect.scheme ?? 'DPoP';
    for (const challenge of challenges) {
      t.is(challenge.params.realm, AUDIENCE, 'realm');
      t.is(challenge.params.error, challenge.scheme === errorScheme ? expect.error : undefined, `error of the ${challenge.scheme} challenge`);
      if (challenge.scheme === 'DPoP') t.is(challenge.params.algs, expect.algs ?? DEFAULT_ALGS, 'algs');
    }
  }
  t.is(context.app.handlerCalls, expect.handlerCalls ?? (expect.status === 200 ? 1 : 0), 'handler calls');
  if (expect.code !== undefined) t.is((context.app.errors.at(-1) as { code?: string } | undefined)?.code, expect.code, 'error code');
  const everything = JSON.stringify(response.headers) + response.body;
  for (const secret of secrets) t.false(everything.includes(secret), 'the response must not contain a credential');
  await item.check?.(t, context, response);
}

async function runDpopCase(t: ExecutionContext, framework: Framework, item: DpopCase) {
  const app = await startApp(framework, {
    issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000,
    logger: { warn() {}, error() {} }, ...(item.dpop === undefined ? {} : { dpop: item.dpop }),
  });
  try {
    const key = await clientKey();
    const token = await issuer.sign({ cnf: { jkt: key.jkt } });
    const context = contextFor(app, key, token);
    const { response, secrets = [] } = await item.run(context);
    await assertDpopCase(t, item, context, response, secrets);
  } finally {
    await app.close();
  }
}

for (const framework of FRAMEWORKS) {
  for (const item of table) {
    test(`[${framework}] ${item.title}`, (t) => limitCases(() => runDpopCase(t, framework, item)));
  }
}

// ---------------------------------------------------------------------------------------------
// Nonce rotation on successful responses (needs a controllable clock)
// ---------------------------------------------------------------------------------------------

for (const framework of FRAMEWORKS) {
  test(`[${framework}] nonce rotation: a success carries the next DPoP-Nonce (no-store), exposed to a real client`, async (t) => {
    // Real time plus a jump the test controls: proofs carry the real `iat`, so a slow machine must not age them.
    const clock = { offset: 0 };
    const app = await startApp(framework, {
      issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, clock: () => Date.now() + clock.offset,
      dpop: { nonce: { secret: 'a shared secret of at least thirty-two bytes', lifetime: 60 } },
    });
    try {
      const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }));
      const token = await issuer.sign({ cnf: { jkt: await handle.calculateThumbprint() } });
      const url = `${app.url}/protected`;
      const first = await clientRequest(handle, token, url);
      t.is(first.status, 401);
      const issued = first.headers.get('dpop-nonce');
      t.truthy(issued);
      const ok = await clientRequest(handle, token, url);
      t.is(ok.status, 200);
      t.is(ok.headers.get('dpop-nonce'), null, 'no new nonce within the step');
      clock.offset += 60_000;
      const rotated = await clientRequest(handle, token, url);
      t.is(rotated.status, 200, 'the previous step\'s nonce is still accepted');
      const next = rotated.headers.get('dpop-nonce');
      t.truthy(next);
      t.not(next, issued);
      t.is(rotated.headers.get('cache-control'), 'no-store');
      clock.offset += 60_000;
      const afterwards = await clientRequest(handle, token, url);
      t.is(afterwards.status, 200, 'oauth4webapi took the rotated nonce from the success response');
      clock.offset += 120_000;
      const stale = await clientRequest(handle, token, url);
      t.is(stale.status, 401);
      t.truthy(stale.headers.get('dpop-nonce'));
      t.is((await clientRequest(handle, token, url)).status, 200);
    } finally {
      await app.close();
    }
  });
}
