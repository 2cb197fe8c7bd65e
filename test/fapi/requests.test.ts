/**
 * The FAPI 2.0 preset per request, on the core: only sender-constrained tokens (DPoP or mTLS),
 * only FAPI algorithms and keys (no Ed448 behind EdDSA, no RSA key under 2048 bits), DPoP proofs
 * within the FAPI clock window, and a `detail` naming the clause each rejection enforces. Each
 * refusal is shown next to the same request passing without the preset: the preset is what refuses.
 */
import {
  generateKeyPairSync, randomUUID, sign as cryptoSign, createPrivateKey, createPublicKey, type JsonWebKey,
} from 'node:crypto';
import test from 'ava';
import { CompactSign, type JWK } from 'jose';
import { createGuard, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { parseChallenges } from '../helpers/challenge.js';
import { makeCertificate } from '../helpers/certificates.js';
import { ath, clientHandle, clientProof, clientKey, nowSeconds, type ClientKey } from '../helpers/dpop.js';
import {
  AUDIENCE, createEd448Key, encodeSegment, rawJws, rejectionOf, useMockIssuer,
} from '../helpers/issuer.js';

const URL_ = 'https://api.example.test/accounts';
const issuer = useMockIssuer(test);

const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, jwksCooldown: 0, logRejections: false, ...options,
});
const fapiGuard = (options: Partial<GuardOptions> = {}) => guardOf({ fapi: '2.0', ...options });

const bearer = (token: string): GuardRequest => ({ method: 'GET', url: URL_, headers: { authorization: `Bearer ${token}` } });
const dpopRequest = (token: string, proof: string): GuardRequest => ({ method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop: proof } });

/** A proof with chosen `iat` (seconds from now), signed by `key` with jose. */
async function proofAt(key: ClientKey, token: string, offset: number): Promise<string> {
  const claims = { htm: 'GET', htu: URL_, iat: nowSeconds() + offset, jti: randomUUID(), ath: ath(token) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}

test('§5.3.4-5: an unbound Bearer token is refused with the DPoP challenge; the detail names the clause', async (t) => {
  const token = await issuer.sign();
  t.truthy((await guardOf().verify(bearer(token))).subject, 'accepted without the preset');
  const error = await rejectionOf(fapiGuard().verify(bearer(token)));
  t.is(error.code, 'ERR_FAPI_SENDER_CONSTRAINT_REQUIRED');
  t.is(error.status, 401);
  t.regex(error.detail ?? '', /FAPI 2\.0 Security Profile §5\.3\.4-5/);
  const challenges = parseChallenges(error.headers['WWW-Authenticate']);
  t.deepEqual(challenges.map((challenge) => challenge.scheme), ['Bearer', 'DPoP']);
  t.is(challenges[0]!.params.error, 'invalid_token');
  t.is(challenges[1]!.params.algs, 'ES256 PS256 EdDSA Ed25519');
  t.false((error.detail ?? '').includes(token), 'never the token');
});

test('§5.3.4-5: with mTLS off, the unbound token is refused and only the DPoP challenge is sent', async (t) => {
  const error = await rejectionOf(fapiGuard({ mtls: false }).verify(bearer(await issuer.sign())));
  t.is(error.code, 'ERR_FAPI_SENDER_CONSTRAINT_REQUIRED');
  t.deepEqual(parseChallenges(error.headers['WWW-Authenticate']).map((challenge) => challenge.scheme), ['DPoP']);
});

test('§5.3.4-5: a DPoP-bound token with an oauth4webapi proof is accepted', async (t) => {
  const { handle, jkt } = await clientHandle('ES256');
  const token = await issuer.sign({ cnf: { jkt } });
  const auth = await fapiGuard().verify(dpopRequest(token, await clientProof(handle, token, URL_)));
  t.is(auth.scheme, 'DPoP');
});

test('§5.3.4-5: a certificate-bound token (mTLS) is accepted too, and refused with another certificate', async (t) => {
  const certificate = makeCertificate('fapi-client');
  const other = makeCertificate('other-client');
  const token = await issuer.sign({ cnf: { 'x5t#S256': certificate.thumbprint } });
  t.is((await fapiGuard({ mtls: { certificate: () => certificate.pem } }).verify(bearer(token))).scheme, 'Bearer');
  const error = await rejectionOf(fapiGuard({ mtls: { certificate: () => other.pem } }).verify(bearer(token)));
  t.is(error.code, 'ERR_MTLS_BINDING_MISMATCH');
  t.regex(error.detail ?? '', /\[FAPI 2\.0 Security Profile §5\.3\.4-5\]$/);
});

test('§5.4.1-1: a token signed with an algorithm outside PS256/ES256/EdDSA is refused by the preset\'s default', async (t) => {
  const key = issuer.createKey('RS256');
  issuer.published.push(key);
  try {
    const { handle, jkt } = await clientHandle('ES256');
    const token = await issuer.sign({ cnf: { jkt } }, { key });
    t.truthy(await guardOf().verify(dpopRequest(token, await clientProof(handle, token, URL_))), 'accepted without the preset');
    const error = await rejectionOf(fapiGuard().verify(dpopRequest(token, await clientProof(handle, token, URL_))));
    t.is(error.code, 'ERR_JWT_ALG_NOT_ALLOWED');
    t.regex(error.detail ?? '', /\[FAPI 2\.0 Security Profile §5\.4\.1-1\]$/);
  } finally {
    issuer.published.splice(issuer.published.indexOf(key), 1);
  }
});

test('§5.4.1-1: EdDSA with an Ed448 key in the JWKS is refused (Ed25519 only), before any signature check', async (t) => {
  const key = createEd448Key();
  const { kid, privateKey } = key;
  issuer.published.push(key);
  try {
    const { handle, jkt } = await clientHandle('ES256');
    const token = rawJws({ alg: 'EdDSA', typ: 'at+jwt', kid }, issuer.claims({ cnf: { jkt } }), (input) => cryptoSign(null, input, privateKey));
    t.truthy(await guardOf().verify(dpopRequest(token, await clientProof(handle, token, URL_))), 'accepted without the preset');
    const error = await rejectionOf(fapiGuard().verify(dpopRequest(token, await clientProof(handle, token, URL_))));
    t.is(error.code, 'ERR_FAPI_KEY_NOT_ALLOWED');
    t.regex(error.detail ?? '', /Ed25519 only.*§5\.4\.1-1/);
    // An Ed25519 EdDSA token is fine.
    const ed25519 = issuer.createKey('EdDSA');
    issuer.published.push(ed25519);
    const good = await issuer.sign({ cnf: { jkt } }, { key: ed25519 });
    t.truthy(await fapiGuard().verify(dpopRequest(good, await clientProof(handle, good, URL_))));
    issuer.published.splice(issuer.published.indexOf(ed25519), 1);
  } finally {
    issuer.published.splice(issuer.published.indexOf(key), 1);
  }
});

test('§5.4.1-1: a DPoP proof signed with an Ed448 key (alg EdDSA) is refused', async (t) => {
  const { privateKey, publicJwk: { kty, crv, x } } = createEd448Key();
  const publicJwk = { kty, crv, x };
  const key: ClientKey = { alg: 'EdDSA', privateKey, publicJwk, jkt: '' };
  const { calculateJwkThumbprint } = await import('jose');
  key.jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  // jose signs no Ed448: by hand.
  const proof = () => rawJws(
    { typ: 'dpop+jwt', alg: 'EdDSA', jwk: publicJwk },
    { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) },
    (input) => cryptoSign(null, input, privateKey),
  );
  t.truthy(await guardOf().verify(dpopRequest(token, proof())), 'accepted without the preset');
  const error = await rejectionOf(fapiGuard().verify(dpopRequest(token, proof())));
  t.is(error.code, 'ERR_DPOP_JWK_ALG_MISMATCH');
  t.is(error.error, 'invalid_dpop_proof');
  t.regex(error.detail ?? '', /Ed25519 only/);
});

test('§5.4.1-2: an RSA key under 2048 bits in the JWKS is never used; the detail names the clause', async (t) => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as never) as {
    publicKey: unknown; privateKey: unknown;
  };
  const privateKey = createPrivateKey({ key: pair.privateKey as JsonWebKey, format: 'jwk' });
  const kid = randomUUID();
  issuer.published.push({ kid, alg: 'PS256', privateKey, publicKey: createPublicKey(privateKey), publicJwk: { ...(pair.publicKey as JWK), kid, alg: 'PS256' } });
  try {
    const { handle, jkt } = await clientHandle('ES256');
    const input = `${encodeSegment({ alg: 'PS256', typ: 'at+jwt', kid })}.${encodeSegment(issuer.claims({ cnf: { jkt } }))}`;
    const signature = cryptoSign('sha256', Buffer.from(input), { key: privateKey, padding: 6, saltLength: 32 }).toString('base64url');
    const token = `${input}.${signature}`;
    const error = await rejectionOf(fapiGuard().verify(dpopRequest(token, await clientProof(handle, token, URL_))));
    t.is(error.code, 'ERR_JWKS_NO_MATCHING_KEY');
    t.regex(error.detail ?? '', /§5\.4\.1-2: RSA keys under 2048 bits are never used/);
  } finally {
    issuer.published.splice(issuer.published.findIndex((key) => key.kid === kid), 1);
  }
});

test('§5.3.2.1-13: proofs 10 s old or 8 s ahead are accepted; 11 s ahead and an hour old are refused, naming the clause', async (t) => {
  const key = await clientKey('ES256');
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const guard = fapiGuard();
  t.truthy(await guard.verify(dpopRequest(token, await proofAt(key, token, -10))), '10 s in the past');
  t.truthy(await guard.verify(dpopRequest(token, await proofAt(key, token, 8))), '8 s in the future');
  const future = await rejectionOf(guard.verify(dpopRequest(token, await proofAt(key, token, 12))));
  t.is(future.code, 'ERR_DPOP_IAT_FUTURE');
  t.regex(future.detail ?? '', /\[FAPI 2\.0 Security Profile §5\.3\.2\.1-13\]$/);
  const past = await rejectionOf(guard.verify(dpopRequest(token, await proofAt(key, token, -3600))));
  t.is(past.code, 'ERR_DPOP_IAT_EXPIRED');
  t.regex(past.detail ?? '', /§5\.3\.2\.1-13/);
});

test('a 503 (the authorization server down) names no FAPI clause; a missing token is no FAPI matter', async (t) => {
  const guard = fapiGuard({ jwksUri: 'http://127.0.0.1:9/jwks', httpTimeout: 2000 });
  const key = await clientKey('ES256');
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const down = await rejectionOf(guard.verify(dpopRequest(token, await proofAt(key, token, 0))));
  t.is(down.status, 503);
  t.notRegex(down.detail ?? '', /FAPI/);
  const missing = await rejectionOf(guard.verify({ method: 'GET', url: URL_, headers: {} }));
  t.is(missing.code, 'ERR_CREDENTIALS_MISSING');
  t.notRegex(missing.detail ?? '', /FAPI/);
});

test('the scheme check keeps its own order: a DPoP-bound token sent as Bearer is still the downgrade error', async (t) => {
  const key = await clientKey('ES256');
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const error = await rejectionOf(fapiGuard().verify(bearer(token)));
  t.is(error.code, 'ERR_DPOP_BEARER_DOWNGRADE');
  t.regex(error.detail ?? '', /§5\.3\.4-5\]$/);
});
