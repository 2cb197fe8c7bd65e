/**
 * Encrypted JWT access tokens (nested JWTs: a JWE whose payload is the signed access token) on
 * BOTH adapters. Tokens are minted here with jose: the dev authorization server (oidc-provider
 * 9.13) is not set up to encrypt access tokens.
 */
import test from 'ava';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import type { EncryptedTokenOptions } from '@resource-guard/core';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import type { RawResponse } from '../helpers/http.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const x25519 = generateKeyPairSync('x25519');
const secret = randomBytes(32);

const allKeys: EncryptedTokenOptions = {
  keys: [
    { key: rsa.privateKey, alg: 'RSA-OAEP-256', kid: 'rsa-1' },
    { key: rsaOther.privateKey, alg: 'RSA-OAEP-256', kid: 'rsa-2' },
    { key: ec.privateKey, alg: 'ECDH-ES' },
    { key: ec.privateKey, alg: 'ECDH-ES+A256KW' },
    { key: x25519.privateKey, alg: 'ECDH-ES+A128KW' },
    { key: secret, alg: 'dir' },
  ],
};
const encryptedOnly = (options: Partial<EncryptedTokenOptions> = {}) => () => ({ encryptedTokens: { ...allKeys, ...options } });

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Encrypts `plaintext` (default: a fresh access token of the case's issuer) to `key`. */
async function encrypt(
  context: CaseContext,
  header: Record<string, unknown>,
  key: KeyObject | Uint8Array,
  plaintext?: string,
): Promise<{ jwe: string; inner: string }> {
  const inner = plaintext ?? await context.issuer.sign();
  const jwe = await new CompactEncrypt(new TextEncoder().encode(inner)).setProtectedHeader({ cty: 'JWT', ...header } as never).encrypt(key);
  return { jwe, inner };
}

/** A valid JWE with its protected header replaced (the checks before decryption must catch it). */
async function withHeader(context: CaseContext, header: Record<string, unknown>): Promise<string> {
  const { jwe } = await encrypt(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM' }, rsa.publicKey);
  return [b64(header), ...jwe.split('.').slice(1)].join('.');
}

function sending(make: (context: CaseContext) => Promise<{ jwe: string; inner?: string } | string>) {
  return async (context: CaseContext) => {
    const made = await make(context);
    const { jwe, inner } = typeof made === 'string' ? { jwe: made, inner: undefined } : made;
    return { response: await context.bearer(jwe), secrets: inner === undefined ? [jwe] : [jwe, inner] };
  };
}

const accepted = (title: string, header: Record<string, unknown>, key: () => KeyObject | Uint8Array): HttpCase => ({
  title: `${title} → 200, verified as the signed access token inside`,
  options: encryptedOnly(),
  run: sending((context) => encrypt(context, header, key())),
  expect: { status: 200, handlerCalls: 1 },
  check(t, _context, response: RawResponse) {
    const { auth } = JSON.parse(response.body) as { auth: { format: string; subject: string; scopes: string[] } };
    t.is(auth.format, 'jwt');
    t.is(auth.subject, 'user-123');
    t.deepEqual(auth.scopes, ['orders:read', 'profile']);
  },
});

const rejected = (title: string, code: string, run: HttpCase['run'], options: HttpCase['options'] = encryptedOnly()): HttpCase => ({
  title: `${title} → 401 invalid_token`,
  options,
  run,
  expect: { status: 401, error: 'invalid_token', code },
});

const table: HttpCase[] = [
  accepted('RSA-OAEP-256 (kid rsa-1)', { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa-1' }, () => rsa.publicKey),
  accepted('RSA-OAEP-256 (kid rsa-2, A128CBC-HS256)', { alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', kid: 'rsa-2' }, () => rsaOther.publicKey),
  accepted('ECDH-ES without kid (the one key of its alg)', { alg: 'ECDH-ES', enc: 'A128GCM' }, () => ec.publicKey),
  accepted('ECDH-ES (P-256)', { alg: 'ECDH-ES', enc: 'A256GCM' }, () => ec.publicKey),
  accepted('ECDH-ES+A256KW (P-256)', { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' }, () => ec.publicKey),
  accepted('ECDH-ES+A128KW (X25519)', { alg: 'ECDH-ES+A128KW', enc: 'A128GCM' }, () => x25519.publicKey),
  accepted('dir (A256GCM)', { alg: 'dir', enc: 'A256GCM' }, () => secret),
  {
    ...accepted('cty "application/jwt"', { alg: 'ECDH-ES', enc: 'A256GCM', cty: 'application/jwt' }, () => ec.publicKey),
  },
  rejected('encrypted to a key the guard does not have', 'ERR_JWE_DECRYPTION_FAILED',
    sending((context) => encrypt(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa-1' }, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey))),
  rejected('encrypted to the sender\'s own key, named in the header as jwk (never used)', 'ERR_JWE_DECRYPTION_FAILED',
    sending(async (context) => {
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return encrypt(context, { alg: 'ECDH-ES', enc: 'A256GCM', jwk: attacker.publicKey.export({ format: 'jwk' }) }, attacker.publicKey);
    })),
  rejected('a kid naming rsa-2 on a token for rsa-1 (only rsa-2 is tried)', 'ERR_JWE_DECRYPTION_FAILED',
    sending((context) => encrypt(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa-2' }, rsa.publicKey))),
  rejected('RSA-OAEP-256 without kid while two keys have that alg (no key is guessed)', 'ERR_JWE_KEY_AMBIGUOUS',
    sending((context) => encrypt(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM' }, rsaOther.publicKey))),
  rejected('a kid no key of its alg has', 'ERR_JWE_DECRYPTION_FAILED',
    sending((context) => encrypt(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa-9' }, rsa.publicKey))),
  rejected('a tampered ciphertext', 'ERR_JWE_DECRYPTION_FAILED', sending(async (context) => {
    const { jwe, inner } = await encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret);
    const parts = jwe.split('.');
    parts[3] = `${parts[3]!.startsWith('A') ? 'B' : 'A'}${parts[3]!.slice(1)}`;
    return { jwe: parts.join('.'), inner };
  })),
  rejected('zip in the header (refused before decryption)', 'ERR_JWE_ZIP_UNSUPPORTED',
    sending((context) => withHeader(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', zip: 'DEF' }))),
  rejected('PBES2 key management', 'ERR_JWE_ALG_NOT_ALLOWED',
    sending((context) => withHeader(context, { alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', cty: 'JWT', p2c: 100_000_000, p2s: 'c2FsdHNhbHQ' }))),
  rejected('RSA1_5 key management', 'ERR_JWE_ALG_NOT_ALLOWED',
    sending((context) => withHeader(context, { alg: 'RSA1_5', enc: 'A256GCM', cty: 'JWT' }))),
  rejected('an enc outside contentAlgorithms', 'ERR_JWE_ENC_NOT_ALLOWED',
    sending((context) => encrypt(context, { alg: 'ECDH-ES', enc: 'A128GCM' }, ec.publicKey)), encryptedOnly({ contentAlgorithms: ['A256GCM'] })),
  rejected('no cty', 'ERR_JWE_CTY_INVALID',
    sending((context) => withHeader(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM' }))),
  rejected('cty "json"', 'ERR_JWE_CTY_INVALID',
    sending((context) => withHeader(context, { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'json' }))),
  rejected('a protected header that is not JSON', 'ERR_JWE_MALFORMED',
    sending(async (context) => [b64('{"alg":'), ...(await encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret)).jwe.split('.').slice(1)].join('.'))),
  rejected('a payload that is not a JWS', 'ERR_JWE_CTY_INVALID',
    sending((context) => encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret, 'not a jws'))),
  rejected('a payload that is not UTF-8', 'ERR_JWE_CTY_INVALID', sending(async () => {
    const jwe = await new CompactEncrypt(Uint8Array.from([0xff, 0xfe, 0x2e])).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'JWT' }).encrypt(secret);
    return jwe;
  })),
  rejected('an inner JWS with a bad signature', 'ERR_JWS_SIGNATURE_INVALID', sending(async (context) => {
    const good = await context.issuer.sign();
    const forged = `${good.slice(0, good.lastIndexOf('.') + 1)}${Buffer.alloc(64).toString('base64url')}`;
    return encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret, forged);
  })),
  rejected('an expired inner token', 'ERR_TOKEN_EXPIRED', sending(async (context) => {
    const now = Math.floor(Date.now() / 1000);
    return encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret, await context.issuer.sign({ iat: now - 600, exp: now - 300 }));
  })),
  rejected('an inner token for another audience', 'ERR_TOKEN_AUDIENCE_INVALID', sending(async (context) =>
    encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret, await context.issuer.sign({ aud: 'https://other.example.test' })))),
  rejected('required: a plain (signed, not encrypted) access token', 'ERR_JWE_REQUIRED',
    sending(async (context) => context.issuer.sign()), encryptedOnly({ required: true })),
  {
    ...accepted('required: an encrypted one', { alg: 'dir', enc: 'A256GCM' }, () => secret),
    options: encryptedOnly({ required: true }),
  },
  rejected('encryption not configured: a JWE is not a JWT', 'ERR_TOKEN_FORMAT_UNSUPPORTED',
    sending((context) => encrypt(context, { alg: 'dir', enc: 'A256GCM' }, secret)), () => ({})),
];

runCaseTable(test, table);
