/**
 * Property-based fuzzing of whole requests through `guard.verify()`: credential extraction
 * (Authorization values, repeated raw fields, form bodies, query strings), hostile Host/target
 * values, DPoP proof headers and mutated proofs, forwarded client certificates. Invariants: only
 * `GuardError`s escape, no 5xx, every challenge parses strictly, no token in any error or log
 * line, and nothing but the one valid credential is ever accepted.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { createGuard, type Guard, type GuardRequest } from '@resource-guard/core';
import { clientKey, signProof, type ClientKey } from '../helpers/dpop.js';
import { assertRejection, fuzzParameters } from '../helpers/fuzz.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
let guard: Guard;
let valid: string;
let key: ClientKey;
let bound: string;
const logged: string[] = [];
const URL_ = 'https://api.example.test/orders';

test.before(async () => {
  issuer = await startMockIssuer('ES256');
  guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, tokenLocations: ['header', 'body', 'query'],
    mtls: { trustedProxyHeader: 'x-client-cert' },
    logger: { warn: (line) => logged.push(line), error: (line) => logged.push(line) },
  });
  valid = await issuer.sign();
  key = await clientKey();
  bound = await issuer.sign({ cnf: { jkt: key.jkt } });
  await guard.verify({ method: 'GET', url: URL_, headers: { authorization: `Bearer ${valid}` } }); // keys loaded
});
test.after.always(async () => {
  await issuer?.close();
});

/** Accepted requests per suite, so that a property that never grants anything shows up as vacuous. */
const accepted = new Map<string, number>();

/** Judges one outcome: accepted only with the exact valid credential, otherwise a clean rejection. */
async function judge(request: GuardRequest, secrets: string[], accepts: (token: string) => boolean, suite = ''): Promise<void> {
  try {
    const auth = await guard.verify(request);
    if (!accepts(auth.token)) throw new Error('granted a credential that is not the valid one');
    accepted.set(suite, (accepted.get(suite) ?? 0) + 1);
  } catch (error) {
    if ((error as Error).message.startsWith('granted')) throw error;
    assertRejection(error, secrets);
  }
  for (const line of logged) for (const secret of secrets) if (secret.length >= 12 && line.includes(secret)) throw new Error('a secret was logged');
}

const tokenish = fc.oneof(
  fc.string({ minLength: 0, maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,60}=*$/),
  fc.constantFrom('a.b.c', 'eyJhbGciOiJub25lIn0.e30.', '...', '=', '~', 'x'.repeat(20_000)),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const scheme = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'DPoP', 'dpop', 'Basic', 'Bearer\t', 'Bear', '', 'Bearerx');
const spaces = fc.constantFrom(' ', '  ', '\t', '', ' \t ');

test('fuzz: Authorization fields, repeated raw fields, query strings and form bodies', async (t) => {
  const credential = fc.oneof(
    fc.tuple(scheme, spaces, tokenish).map(([s, gap, token]) => `${s}${gap}${token}`),
    fc.tuple(scheme, spaces).map(([s, gap]) => `${s}${gap}VALID`),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'get', 'OPTIONS'),
    authorizations: fc.array(credential, { maxLength: 3 }),
    query: fc.option(fc.array(fc.oneof(fc.constant('access_token=VALID'), tokenish.map((value) => `access_token=${encodeURIComponent(value)}`), tokenish), { maxLength: 3 }).map((parts) => parts.join('&'))),
    body: fc.option(fc.dictionary(fc.constantFrom('access_token', 'x', 'n\u00e4me'), fc.oneof(tokenish, fc.constant('VALID'), fc.array(tokenish, { maxLength: 2 })), { maxKeys: 3 })),
    contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', undefined),
  });
  await fc.assert(fc.asyncProperty(request, async (spec) => {
    const swap = (value: string) => value.replaceAll('VALID', valid);
    const rawHeaders: string[] = [];
    for (const value of spec.authorizations) rawHeaders.push('Authorization', swap(value));
    if (spec.contentType !== undefined) rawHeaders.push('Content-Type', spec.contentType);
    const headers: Record<string, string> = {};
    for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
    const body = spec.body === null ? {} : JSON.parse(swap(JSON.stringify(spec.body))) as unknown;
    const query = spec.query === null ? '' : `?${swap(spec.query)}`;
    const secrets = [valid, ...spec.authorizations.map(swap), swap(JSON.stringify(spec.body ?? ''))].filter((value) => value.length >= 12);
    await judge({ method: spec.method, url: `${URL_}${query}`, target: `/orders${query}`, headers, rawHeaders, body }, secrets, (token) => token === valid, 'requests');
  }), fuzzParameters(1500));
  t.true((accepted.get('requests') ?? 0) > 0, 'some generated requests carry the valid token correctly');
});

test('fuzz: Host and request-target values never move the path a DPoP proof is judged on', async (t) => {
  const host = fc.oneof(
    fc.constantFrom('api.example.test', 'API.example.test:443', '[::1]:8443', '127.0.0.1'),
    fc.string({ maxLength: 30 }),
    fc.tuple(fc.constantFrom('api.example.test'), fc.constantFrom('/', '?', '#', '\\', '@', ' ', '%2f', ':99999', '/admin#', '?x')).map(([h, tail]) => `${h}${tail}`),
  );
  const target = fc.oneof(fc.constantFrom('/orders', '/orders?x=1', '/x/../orders', '/./orders', '/orders#', '/ord\\ers', 'orders', '*', '/%2e%2e/orders'), fc.string({ maxLength: 20 }).map((value) => `/${value}`));
  await fc.assert(fc.asyncProperty(host, target, async (h, path) => {
    const proof = await signProof(key, bound, 'https://api.example.test/orders');
    let url: string;
    try {
      url = new URL(`https://${h}${path}`).href;
    } catch {
      url = `https://${h}${path}`;
    }
    const request: GuardRequest = { method: 'GET', url, target: path, headers: { host: h, authorization: `DPoP ${bound}`, dpop: proof } };
    await judge(request, [bound, proof], () => {
      // Accepted only when the URL really names the path the proof was made for.
      const parsed = new URL(url);
      return parsed.pathname === '/orders' && parsed.host === 'api.example.test' && /^\/orders(\?|$)/.test(path);
    }, 'host');
  }), fuzzParameters(300));
  t.true((accepted.get('host') ?? 0) > 0, 'the honest Host and target pass');
});

test('fuzz: DPoP proof headers — random strings and mutations of a valid proof', async (t) => {
  const mutation = fc.record({
    at: fc.nat(),
    replacement: fc.string({ maxLength: 3 }),
    kind: fc.constantFrom('replace', 'insert', 'delete', 'duplicate', 'random', 'pad'),
  });
  await fc.assert(fc.asyncProperty(mutation, async ({ at, replacement, kind }) => {
    const good = await signProof(key, bound, URL_);
    const index = at % good.length;
    let proof: string | string[];
    switch (kind) {
      case 'replace': proof = good.slice(0, index) + replacement + good.slice(index + Math.max(1, replacement.length)); break;
      case 'insert': proof = good.slice(0, index) + (replacement || '.') + good.slice(index); break;
      case 'delete': proof = good.slice(0, index) + good.slice(index + 1); break;
      case 'duplicate': proof = [good, good]; break;
      case 'pad': proof = `${good}=`; break;
      default: proof = replacement.repeat(at % 50);
    }
    const unchanged = typeof proof === 'string' && proof === good;
    const headers = { authorization: `DPoP ${bound}`, dpop: proof };
    await judge({ method: 'GET', url: URL_, headers }, [bound, good], () => unchanged, 'proofs');
  }), fuzzParameters(500));
  t.pass('no mutated proof was accepted');
});

test('fuzz: forwarded client certificates in a trusted proxy header', async (t) => {
  const certBound = await issuer.sign({ cnf: { 'x5t#S256': 'A'.repeat(43) } });
  const value = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.base64String({ maxLength: 200 }),
    fc.string({ maxLength: 100 }).map((body) => `-----BEGIN CERTIFICATE-----${body}-----END CERTIFICATE-----`),
    fc.string({ maxLength: 60 }).map((body) => encodeURIComponent(body).replace(/%/g, (match, offset: number) => (offset % 3 === 0 ? '%' : match))),
    fc.constantFrom('%', '%E0%A4%A', '-----BEGIN CERTIFICATE-----', ''),
  );
  await fc.assert(fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 2 }), async (values) => {
    const rawHeaders = ['Authorization', `Bearer ${certBound}`, ...values.flatMap((item) => ['X-Client-Cert', item])];
    await judge({ method: 'GET', url: URL_, headers: { authorization: `Bearer ${certBound}`, 'x-client-cert': values[0] }, rawHeaders }, [certBound], () => false);
  }), fuzzParameters(300));
  t.pass();
});

test('fuzz: the same random jti from a valid proof is accepted once', async (t) => {
  // The replay guard under property testing: any jti string (within the 256-character limit).
  await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 256 }), async (jti) => {
    const proof = await signProofWithJti(key, bound, `${jti}-${randomUUID()}`);
    await guard.verify({ method: 'GET', url: URL_, headers: { authorization: `DPoP ${bound}`, dpop: proof } });
    await judge({ method: 'GET', url: URL_, headers: { authorization: `DPoP ${bound}`, dpop: proof } }, [bound, proof], () => false);
  }), fuzzParameters(100));
  t.pass();
});

async function signProofWithJti(signer: ClientKey, token: string, jti: string): Promise<string> {
  const { CompactSign } = await import('jose');
  const { ath, nowSeconds } = await import('../helpers/dpop.js');
  const claims = { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: jti.slice(0, 256), ath: ath(token) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: signer.alg, jwk: signer.publicJwk })
    .sign(signer.privateKey);
}
