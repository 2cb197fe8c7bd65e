/**
 * The JWT Best Current Practices update (draft-ietf-oauth-rfc8725bis) for encrypted access tokens
 * (JWE, RFC 7516): format, exact alg/enc, PBES2, zip, and decryption that is not authentication.
 * Node-only: decryption needs `encryptedTokens`, a private key or a `dir` secret that only the
 * `node` backend loads (the WebCrypto backend refuses it at start-up,
 * test/crypto/limits.test.ts). The same rules for the other kinds of JWT are in bcp.test.ts;
 * docs/security.md lists both.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { CompactEncrypt } from 'jose';
import { createGuard, type Guard, type GuardOptions } from '@resource-guard/core';
import { refusalOf, withCharacter } from '../helpers/bcp.js';
import { AUDIENCE, bearerRequest, encodeSegment, hmacSigner, rawJws, useMockIssuer } from '../helpers/issuer.js';

const issuer = useMockIssuer(test);

const guardOf = (options: Partial<GuardOptions> = {}): Guard => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, ...options,
});

async function encryptTo(secret: Uint8Array, plaintext: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'JWT' }).encrypt(secret);
}

// §3.14 Check JWT Format Type -------------------------------------------------------------------

test('§3.14 JWE: a character outside base64url in any of the five segments → not decrypted, refused', async (t) => {
  const secret = randomBytes(32);
  const guard = guardOf({ encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] } });
  const jwe = await encryptTo(secret, await issuer.sign());
  t.is((await guard.verify(bearerRequest(jwe))).format, 'jwt');
  for (const segment of [0, 2, 3, 4]) {
    t.like(await refusalOf(issuer, guard, bearerRequest(withCharacter(jwe, segment, '/'))), { status: 401, code: 'ERR_TOKEN_FORMAT_UNSUPPORTED' }, `segment ${segment}`);
  }
  // A decrypted payload is held to the same rule: a JWS with a `+` inside is malformed.
  const inner = withCharacter(await issuer.sign(), 1, '+');
  t.like(await refusalOf(issuer, guard, bearerRequest(await encryptTo(secret, inner))), { status: 401, code: 'ERR_JWT_MALFORMED' });
});

// §3.1 / §2.11 alg compared exactly --------------------------------------------------------------

test('§3.1, §2.11 JWE: alg and enc compared case-sensitively, refused before decryption', async (t) => {
  const secret = randomBytes(32);
  const guard = guardOf({ encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] } });
  const jwe = await encryptTo(secret, await issuer.sign());
  const rest = jwe.split('.').slice(1).join('.');
  t.like(await refusalOf(issuer, guard, bearerRequest(`${encodeSegment({ alg: 'DIR', enc: 'A256GCM', cty: 'JWT' })}.${rest}`)), { code: 'ERR_JWE_ALG_NOT_ALLOWED' });
  t.like(await refusalOf(issuer, guard, bearerRequest(`${encodeSegment({ alg: 'dir', enc: 'a256gcm', cty: 'JWT' })}.${rest}`)), { code: 'ERR_JWE_ENC_NOT_ALLOWED' });
});

// §3.13 p2c, §3.15 / §3.6 zip ---------------------------------------------------------------------

test('§3.13 PBES2 is never accepted: no key can be configured for it, and a token naming it is refused before p2c is read', async (t) => {
  for (const alg of ['PBES2-HS256+A128KW', 'PBES2-HS384+A192KW', 'PBES2-HS512+A256KW']) {
    t.throws(() => guardOf({ encryptedTokens: { keys: [{ key: randomBytes(32), alg }] } }), { instanceOf: TypeError }, alg);
  }
  const secret = randomBytes(32);
  const guard = guardOf({ encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] } });
  const rest = (await encryptTo(secret, await issuer.sign())).split('.').slice(1).join('.');
  for (const p2c of [1_200_001, 2 ** 53, -1, 'x']) {
    const header = encodeSegment({ alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', cty: 'JWT', p2c, p2s: 'c2FsdHNhbHQ' });
    t.like(await refusalOf(issuer, guard, bearerRequest(`${header}.${rest}`)), { status: 401, code: 'ERR_JWE_ALG_NOT_ALLOWED' }, String(p2c));
  }
});

test('§3.15, §3.6 zip: a compressed JWE is refused before decryption, whatever the zip value', async (t) => {
  const secret = randomBytes(32);
  const guard = guardOf({ encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] } });
  const rest = (await encryptTo(secret, await issuer.sign())).split('.').slice(1).join('.');
  for (const zip of ['DEF', 'def', '', null, 0]) {
    const header = encodeSegment({ alg: 'dir', enc: 'A256GCM', cty: 'JWT', zip });
    t.like(await refusalOf(issuer, guard, bearerRequest(`${header}.${rest}`)), { status: 401, code: 'ERR_JWE_ZIP_UNSUPPORTED' }, JSON.stringify(zip));
  }
});

// §3.3 decryption is not authentication -----------------------------------------------------------

test('§3.3 a JWE that decrypts is still judged by its inner signature: unsigned, forged, foreign-keyed or nested inner tokens fail', async (t) => {
  const secret = randomBytes(32);
  const guard = guardOf({ encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] } });
  const claims = issuer.claims();
  const attacker = issuer.createKey('ES256', issuer.published[0]!.kid);
  const inners: Array<[string, string, string]> = [
    ['alg none inside', rawJws({ alg: 'none', typ: 'at+jwt' }, claims, 'none'), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['signed by a key the issuer never published (same kid)', await issuer.sign({}, { key: attacker }), 'ERR_JWS_SIGNATURE_INVALID'],
    ['HS256 keyed with the decryption secret', rawJws({ alg: 'HS256', typ: 'at+jwt' }, claims, hmacSigner(secret)), 'ERR_JWT_ALG_NOT_ALLOWED'],
    ['the claims alone, not a JWS', JSON.stringify(claims), 'ERR_JWE_CTY_INVALID'],
    ['another JWE (encryption inside encryption, no signature anywhere)', await encryptTo(secret, encodeSegment(claims)), 'ERR_JWE_CTY_INVALID'],
  ];
  for (const [title, inner, code] of inners) {
    t.like(await refusalOf(issuer, guard, bearerRequest(await encryptTo(secret, inner))), { status: 401, code }, title);
  }
  // And a JWE is never taken for a JWS: without encryptedTokens, it is no token the guard reads.
  t.like(await refusalOf(issuer, guardOf(), bearerRequest(await encryptTo(secret, await issuer.sign()))), { status: 401, code: 'ERR_TOKEN_FORMAT_UNSUPPORTED' });
});
