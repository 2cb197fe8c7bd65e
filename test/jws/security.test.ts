/**
 * JOSE hardening: strict UTF-8 in every JWS (RFC 7515 §5.2, RFC 8725 §3.7), RSA key bounds checked
 * before any signature work (proof keys and JWKS keys alike), a bounded JWKS, and verified claims
 * that no route handler can alter for later requests.
 */
import { generateKeyPairSync, randomUUID, sign as nodeSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import test from 'ava';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createGuard, type GuardError, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { ath, nowSeconds } from '../helpers/dpop.js';
import { AUDIENCE, encodeSegment, keySigner, startMockIssuer, type IssuerKey, type MockIssuer } from '../helpers/issuer.js';

const URL_ = 'https://api.example.test/orders';

let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
});
test.after.always(async () => {
  await issuer?.close();
});

const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, jwksCooldown: 0, ...options,
});
const bearer = (token: string): GuardRequest => ({ method: 'GET', url: URL_, headers: { authorization: `Bearer ${token}` } });
const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as GuardError).code;
  }
};

/** A JWS over raw segment bytes, so a segment can hold bytes that are not UTF-8. */
function jwsOverBytes(header: Buffer, payload: Buffer, signer: (input: Buffer) => Buffer): string {
  const input = `${header.toString('base64url')}.${payload.toString('base64url')}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

/** JSON text with the two bytes of the `XX` marker replaced by an invalid UTF-8 sequence. */
function withBadUtf8(value: Record<string, unknown>): Buffer {
  const bytes = Buffer.from(JSON.stringify(value));
  const at = bytes.indexOf('XX');
  bytes[at] = 0xff;
  bytes[at + 1] = 0xfe;
  return bytes;
}

test('an access token whose payload is not valid UTF-8 is refused, though correctly signed', async (t) => {
  const key = issuer.published[0]!;
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }));
  const good = jwsOverBytes(header, Buffer.from(JSON.stringify(issuer.claims({ name: 'ok' }))), keySigner(key));
  t.is(await codeOf(guardOf().verify(bearer(good))), 'accepted', 'the same construction with valid UTF-8 passes');
  const bad = jwsOverBytes(header, withBadUtf8(issuer.claims({ name: 'XX' })), keySigner(key));
  const error = await t.throwsAsync(guardOf().verify(bearer(bad))) as GuardError;
  t.is(error.code, 'ERR_JWT_MALFORMED');
  t.is(error.status, 401);
  t.is(error.error, 'invalid_token');
});

/** The same segment with the unused low bits of its last character set: decodes to the same bytes. */
function malleate(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sextet = alphabet.indexOf(segment.at(-1)!);
  const unused = segment.length % 4 === 2 ? 15 : 3;
  return segment.slice(0, -1) + alphabet[sextet | unused];
}

test('a non-canonical base64url spelling of a valid token is refused (RFC 4648 §3.5): one signature, one token', async (t) => {
  const token = await issuer.sign();
  const [header = '', payload = '', signature = ''] = token.split('.');
  t.true(Buffer.from(malleate(signature), 'base64url').equals(Buffer.from(signature, 'base64url')), 'same bytes');
  t.is(await codeOf(guardOf().verify(bearer(token))), 'accepted');
  t.is(await codeOf(guardOf().verify(bearer(`${header}.${payload}.${malleate(signature)}`))), 'ERR_JWT_MALFORMED');
  if (payload.length % 4 !== 0) t.is(await codeOf(guardOf().verify(bearer(`${header}.${malleate(payload)}.${signature}`))), 'ERR_JWT_MALFORMED');
  const oneMod4 = signature + 'A'.repeat((5 - (signature.length % 4)) % 4 || 4);
  t.is(oneMod4.length % 4, 1);
  t.is(await codeOf(guardOf().verify(bearer(`${header}.${payload}.${oneMod4}`))), 'ERR_JWT_MALFORMED', 'a length of 1 mod 4');
});

test('an access token whose header is not valid UTF-8 is not a JWT (401 invalid_token)', async (t) => {
  const key = issuer.published[0]!;
  const header = withBadUtf8({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, x: 'XX' });
  const token = jwsOverBytes(header, Buffer.from(JSON.stringify(issuer.claims())), keySigner(key));
  const error = await t.throwsAsync(guardOf().verify(bearer(token))) as GuardError;
  t.is(error.status, 401);
  t.is(error.error, 'invalid_token');
});

test('a JWKS body that is not valid UTF-8 is a 503, not a key set', async (t) => {
  const local = await startMockIssuer('ES256');
  t.teardown(() => local.close());
  local.mode = 'not-utf8';
  const guard = createGuard({ issuer: local.issuer, audience: AUDIENCE, jwksUri: local.jwksUri });
  const error = await t.throwsAsync(guard.verify(bearer(await local.sign()))) as GuardError;
  t.is(error.code, 'ERR_JWKS_UNAVAILABLE');
  t.is(error.status, 503);
  local.mode = 'ok';
  t.is((await guard.verify(bearer(await local.sign()))).subject, 'user-123');
});

/** An RSA key pair with public exponent `e`, as a test issuer key. */
function rsaKey(publicExponent: number, modulusLength = 2048): { privateKey: KeyObject; jwk: JWK } {
  const pair = generateKeyPairSync('rsa', { modulusLength, publicExponent });
  return { privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as JWK };
}

test('a JWKS key with a small public exponent (e = 3) is never used', async (t) => {
  const { privateKey, jwk } = rsaKey(3);
  const kid = `e3-${randomUUID()}`;
  const weak: IssuerKey = { kid, alg: 'RS256', privateKey, publicKey: privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
  issuer.published.push(weak);
  t.teardown(() => {
    issuer.published.splice(issuer.published.indexOf(weak), 1);
  });
  const token = await issuer.sign({}, { key: weak });
  t.is(await codeOf(guardOf().verify(bearer(token))), 'ERR_JWKS_NO_MATCHING_KEY');
});

test('JWKS keys with a huge exponent or a modulus over 8192 bits are dropped before any import', async (t) => {
  const { jwk } = rsaKey(65537);
  const hugeExponent = Buffer.alloc(64, 0xff).toString('base64url'); // 2^512 − 1: odd, far over 2^256
  const hugeModulus = Buffer.concat([Buffer.from([0xc1]), Buffer.alloc(1100, 0x5a)]).toString('base64url'); // 8808 bits
  const keys: IssuerKey[] = [
    { kid: `bigexp-${randomUUID()}`, e: hugeExponent, n: jwk.n },
    { kid: `bign-${randomUUID()}`, e: 'AQAB', n: hugeModulus },
    { kid: `evenexp-${randomUUID()}`, e: Buffer.from([0x01, 0x00, 0x02]).toString('base64url'), n: jwk.n },
  ].map(({ kid, e, n }) => ({ kid, alg: 'RS256', privateKey: undefined as unknown as KeyObject, publicKey: undefined as unknown as KeyObject, publicJwk: { kty: 'RSA', n, e, kid, alg: 'RS256' } }));
  issuer.published.push(...keys);
  t.teardown(() => {
    for (const key of keys) issuer.published.splice(issuer.published.indexOf(key), 1);
  });
  for (const key of keys) {
    // The signature does not matter: without the bounds the guard would spend a verification on it.
    const token = `${encodeSegment({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })}.${encodeSegment(issuer.claims())}.${Buffer.alloc(256, 1).toString('base64url')}`;
    t.is(await codeOf(guardOf().verify(bearer(token))), 'ERR_JWKS_NO_MATCHING_KEY', key.kid);
  }
});

test('a JWKS with more than 100 keys is refused (503) rather than imported', async (t) => {
  const local = await startMockIssuer('ES256');
  t.teardown(() => local.close());
  const first = local.published[0]!;
  for (let i = 0; i < 100; i += 1) local.published.push({ ...first, kid: `copy-${i}`, publicJwk: { ...first.publicJwk, kid: `copy-${i}` } });
  const guard = createGuard({ issuer: local.issuer, audience: AUDIENCE, jwksUri: local.jwksUri });
  const error = await t.throwsAsync(guard.verify(bearer(await local.sign()))) as GuardError;
  t.is(error.code, 'ERR_JWKS_UNAVAILABLE');
  local.published.splice(100);
  t.is((await guard.verify(bearer(await local.sign()))).subject, 'user-123', '100 keys are fine');
});

/** A DPoP request whose proof is signed by an RSA key (or claims to be, with `jwk`). */
async function rsaProofRequest(jwk: JWK, privateKey: KeyObject | undefined, token: string): Promise<GuardRequest> {
  const header = { typ: 'dpop+jwt', alg: 'RS256', jwk: { kty: 'RSA', n: jwk.n, e: jwk.e } };
  const claims = { htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) };
  const input = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  const signature = privateKey === undefined ? Buffer.alloc(512, 7) : nodeSign('sha256', Buffer.from(input), privateKey);
  return { method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop: `${input}.${signature.toString('base64url')}` } };
}

test('a DPoP proof key with e = 3 is refused, though its proof is correctly signed', async (t) => {
  const { privateKey, jwk } = rsaKey(3);
  const token = await issuer.sign({ cnf: { jkt: await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! }) } });
  t.is(await codeOf(guardOf().verify(await rsaProofRequest(jwk, privateKey, token))), 'ERR_DPOP_JWK_INVALID');
  const sound = rsaKey(65537);
  const soundToken = await issuer.sign({ cnf: { jkt: await calculateJwkThumbprint({ kty: 'RSA', n: sound.jwk.n!, e: sound.jwk.e! }) } });
  t.is(await codeOf(guardOf().verify(await rsaProofRequest(sound.jwk, sound.privateKey, soundToken))), 'accepted', 'e = 65537 passes');
});

test('hostile RSA proof keys (huge exponent, modulus over 4096 bits) are refused before the signature check', async (t) => {
  const { jwk } = rsaKey(65537);
  const token = await issuer.sign({ cnf: { jkt: 'x'.repeat(43) } });
  const hostile: Array<[string, JWK]> = [
    ['e = 2^1024 − 1', { kty: 'RSA', n: jwk.n, e: Buffer.alloc(128, 0xff).toString('base64url') }],
    ['e = 2^256 + 1', { kty: 'RSA', n: jwk.n, e: Buffer.concat([Buffer.from([1]), Buffer.alloc(31), Buffer.from([1])]).toString('base64url') }],
    ['a 4104-bit modulus', { kty: 'RSA', n: Buffer.concat([Buffer.from([0xc1]), Buffer.alloc(512, 0x5b)]).toString('base64url'), e: 'AQAB' }],
    ['a 1024-bit modulus', { kty: 'RSA', n: Buffer.concat([Buffer.from([0xc1]), Buffer.alloc(127, 0x5b)]).toString('base64url'), e: 'AQAB' }],
  ];
  for (const [title, key] of hostile) {
    // Without the bounds these reach the signature check and fail there (ERR_DPOP_SIGNATURE_INVALID).
    t.is(await codeOf(guardOf().verify(await rsaProofRequest(key, undefined, token))), 'ERR_DPOP_JWK_INVALID', title);
  }
  const within = rsaKey(65537, 4096);
  const withinToken = await issuer.sign({ cnf: { jkt: await calculateJwkThumbprint({ kty: 'RSA', n: within.jwk.n!, e: within.jwk.e! }) } });
  t.is(await codeOf(guardOf().verify(await rsaProofRequest(within.jwk, within.privateKey, withinToken))), 'accepted', 'a 4096-bit proof key passes');
});

test('verified claims are frozen: a handler editing req.auth.claims cannot change a cached verdict', async (t) => {
  const guard = guardOf({ verifiedTokenCache: true });
  const token = await issuer.sign({ scope: 'orders:read', cnf: { 'x5t#S256': 'abc' } });
  const first = await t.throwsAsync(guard.verify(bearer(token))) as GuardError;
  t.is(first.code, 'ERR_MTLS_CERTIFICATE_MISSING', 'bound to a certificate');
  const plain = await issuer.sign({ scope: 'orders:read', roles: ['reader'] });
  const auth = await guard.verify(bearer(plain));
  t.true(Object.isFrozen(auth.claims));
  t.true(Object.isFrozen(auth.claims.roles));
  t.throws(() => {
    (auth.claims as Record<string, unknown>).scope = 'admin';
  }, { instanceOf: TypeError });
  t.throws(() => {
    (auth.claims.roles as string[]).push('admin');
  }, { instanceOf: TypeError });
  t.throws(() => {
    auth.audience.push('https://other.example.test');
  }, { instanceOf: TypeError });
  const again = await guard.verify(bearer(plain));
  t.deepEqual(again.scopes, ['orders:read']);
  t.deepEqual(again.claims.roles, ['reader']);
  t.deepEqual(again.audience, [AUDIENCE]);
});

test('a key whose members are not base64url is not imported', async (t) => {
  const { privateKey, jwk } = rsaKey(65537);
  const token = await issuer.sign({ cnf: { jkt: 'x'.repeat(43) } });
  const bad = { kty: 'RSA', n: `${jwk.n!.slice(0, -2)}+/`, e: 'AQAB' } as JsonWebKey as JWK;
  t.is(await codeOf(guardOf().verify(await rsaProofRequest(bad, privateKey, token))), 'ERR_DPOP_JWK_INVALID');
});
