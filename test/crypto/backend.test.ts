/**
 * The two crypto backends side by side: the same answers from `node:crypto` and from WebCrypto
 * (plus the plain-JavaScript SHA-256 and HMAC the WebCrypto backend hashes with), and the backend
 * this process selected through the `#crypto-backend` import conditions.
 */
import test from 'ava';
import * as fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { CRYPTO_BACKEND } from '@resource-guard/core';
import type { CryptoBackend, SignatureSpec } from '../../packages/core/dist/crypto/backend.js';
import * as nodeBackend from '../../packages/core/dist/crypto/node-backend.js';
import * as webBackend from '../../packages/core/dist/crypto/web-backend.js';
import { makeCertificate } from '../helpers/certificates.js';

// Fails to compile when either module drifts from the interface.
const backends: Record<'node' | 'webcrypto', CryptoBackend> = { node: nodeBackend, webcrypto: webBackend };

test('the backend is chosen by the import conditions: webcrypto exactly when the process asked for it', (t) => {
  const forced = process.execArgv.some((argument) => argument.includes('resource-guard-webcrypto'));
  t.is(CRYPTO_BACKEND, forced ? 'webcrypto' : 'node');
});

test('SHA-256 and HMAC-SHA-256 agree with node:crypto for any input (strings as UTF-8)', (t) => {
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), (data) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (const backend of Object.values(backends)) {
      if (backend.sha256(data, 'base64url') !== createHash('sha256').update(bytes).digest('base64url')) return false;
      if (backend.sha256(data, 'binary') !== createHash('sha256').update(bytes).digest('binary')) return false;
    }
    return true;
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 150 }), fc.string({ maxLength: 100 }), (key, data) => {
    const expected = createHmac('sha256', key).update(data).digest('base64url');
    return Object.values(backends).every((backend) => backend.hmacSha256Base64Url(key, data) === expected);
  }), { numRuns: 200 });
  // The FIPS 180-4 example: padding across a block boundary (56 bytes → two blocks).
  t.is(webBackend.sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 'base64url'), 'JI1qYdIGOLjlwCaTDD5gOaM85Flk_yFn9uzt1BnbBsE');
});

test('base64, UTF-8 and constant-time comparison agree with Buffer', (t) => {
  const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_='.split(''));
  fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 80 }), (text) => (
    Buffer.from(webBackend.decodeBase64(text)).equals(Buffer.from(text, 'base64'))
    && Buffer.from(nodeBackend.decodeBase64(text)).equals(Buffer.from(text, 'base64'))
  )), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => (
    webBackend.encodeBase64(text) === Buffer.from(text).toString('base64') && nodeBackend.encodeBase64(text) === webBackend.encodeBase64(text)
  )));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => (
    Object.values(backends).every((backend) => backend.encodeBase64Url(bytes) === Buffer.from(bytes).toString('base64url'))
  )), { numRuns: 300 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
    const expected = isUtf8(bytes) ? Buffer.from(bytes).toString('utf8') : undefined;
    const segment = Buffer.from(bytes).toString('base64url');
    return Object.values(backends).every((backend) => backend.decodeUtf8(bytes) === expected && backend.decodeBase64UrlText(segment) === expected);
  }), { numRuns: 500 });
  t.is(webBackend.decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), '\ufeffa', 'a BOM is kept, as Buffer keeps it');
  for (const backend of Object.values(backends)) {
    t.true(backend.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
    t.false(backend.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
    t.false(backend.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)));
    t.is(backend.randomBytes(32).length, 32);
    t.deepEqual([...backend.encodeUtf8('é')], [0xc3, 0xa9]);
  }
});

test('certificates: both accept a real one (bytes after it dropped) and refuse truncated or non-certificate DER', (t) => {
  const { der } = makeCertificate('backend-test');
  const bad = [
    der.subarray(0, der.length - 1), Buffer.from('hello'), Buffer.of(0x30, 0x00),
    Buffer.of(0x30, 0x03, 0x02, 0x01, 0x00), Buffer.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff), Buffer.alloc(0),
  ];
  for (const [name, backend] of Object.entries(backends)) {
    t.deepEqual(Buffer.from(backend.certificateDer(der)!), der, name);
    t.deepEqual(Buffer.from(backend.certificateDer(Buffer.concat([der, Buffer.of(0, 1)]))!), der, `${name}: trailing bytes`);
    for (const value of bad) t.is(backend.certificateDer(value), undefined, `${name}: ${value.toString('hex').slice(0, 16)}`);
  }
});

interface SignatureCase {
  alg: string;
  spec: SignatureSpec;
  keyType: 'rsa' | 'ec' | 'okp';
  pair: { publicKey: KeyObject; privateKey: KeyObject };
  sign(data: Buffer, key: KeyObject): Buffer;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const CASES: SignatureCase[] = [
  { alg: 'RS256', spec: { hash: 'sha256', keyType: 'rsa' }, keyType: 'rsa', pair: rsa, sign: (data, key) => nodeSign('sha256', data, key) },
  {
    alg: 'PS384', spec: { hash: 'sha384', keyType: 'rsa', pss: true }, keyType: 'rsa', pair: rsa,
    sign: (data, key) => nodeSign('sha384', data, { key, padding: 6, saltLength: 48 }),
  },
  ...([['ES256', 'P-256', 'sha256'], ['ES384', 'P-384', 'sha384'], ['ES512', 'P-521', 'sha512']] as const).map(([alg, curve, hash]): SignatureCase => ({
    alg, spec: { hash, keyType: 'ec', curve }, keyType: 'ec', pair: generateKeyPairSync('ec', { namedCurve: curve }),
    sign: (data, key) => nodeSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }),
  })),
  { alg: 'EdDSA', spec: { hash: null, keyType: 'okp' }, keyType: 'okp', pair: generateKeyPairSync('ed25519'), sign: (data, key) => nodeSign(null, data, key) },
];

for (const item of CASES) {
  test(`${item.alg}: both backends verify a good signature and refuse a changed one`, async (t) => {
    const input = 'eyJhbGciOiJ4In0.eyJzdWIiOiJhIn0';
    const signature = item.sign(Buffer.from(input), item.pair.privateKey);
    const jwk = item.pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const tampered = Buffer.from(signature);
    tampered[5]! ^= 1;
    for (const [name, backend] of Object.entries(backends)) {
      const key = backend.importPublicKey(jwk, item.keyType)!;
      t.truthy(key, name);
      t.true(await backend.verifySignatureAsync(item.spec, input, signature, key), `${name} good`);
      t.true(await backend.verifySignatureAsync(item.spec, input, signature, key), `${name} good again (imported key reused)`);
      t.false(await backend.verifySignatureAsync(item.spec, `${input}x`, signature, key), `${name} other input`);
      t.false(await backend.verifySignatureAsync(item.spec, input, tampered, key), `${name} tampered`);
    }
    t.true(nodeBackend.verifySignatureSync(item.spec, input, signature, nodeBackend.importPublicKey(jwk, item.keyType)!));
  });
}

test('HS256: both backends verify with an imported secret and refuse another one', async (t) => {
  const secret = Buffer.alloc(32, 7);
  const input = 'a.b';
  const signature = createHmac('sha256', secret).update(input).digest();
  const spec: SignatureSpec = { hash: 'sha256', keyType: 'oct' };
  for (const [name, backend] of Object.entries(backends)) {
    t.true(await backend.verifySignatureAsync(spec, input, signature, backend.importSecretKey(secret)), name);
    t.false(await backend.verifySignatureAsync(spec, input, signature, backend.importSecretKey(Buffer.alloc(32, 8))), name);
    t.false(await backend.verifySignatureAsync(spec, input, signature.subarray(1), backend.importSecretKey(secret)), `${name} short`);
  }
});

test('keys: both refuse EC and OKP members that cannot be a key; the web backend refuses what WebCrypto refuses at first use', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const okp = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const unusable: Array<[Record<string, unknown>, 'ec' | 'okp']> = [
    [{ ...ec, crv: 'P-999' }, 'ec'], [{ ...ec, x: ec.x!.slice(2) }, 'ec'], [{ ...ec, y: 42 }, 'ec'], [{ ...ec, crv: 'Ed25519' }, 'ec'],
    [{ ...okp, x: `${okp.x!}AA` }, 'okp'], [{ ...okp, crv: 'P-256' }, 'okp'], [{ ...okp, crv: undefined }, 'okp'],
  ];
  for (const [jwk, keyType] of unusable) {
    for (const [name, backend] of Object.entries(backends)) t.is(backend.importPublicKey(jwk, keyType), undefined, `${name} ${JSON.stringify(jwk)}`);
  }
  // A point off the curve: Node refuses it on import; WebCrypto only when verifying, as a failed signature.
  const offCurve = { ...ec, y: ec.x! };
  t.is(nodeBackend.importPublicKey(offCurve, 'ec'), undefined);
  const key = webBackend.importPublicKey(offCurve, 'ec')!;
  t.false(await webBackend.verifySignatureAsync({ hash: 'sha256', keyType: 'ec', curve: 'P-256' }, 'a.b', new Uint8Array(64), key));
  t.is(nodeBackend.importPublicKey({ kty: 'EC', ...okp }, 'rsa'), undefined, 'an RSA slot takes only an RSA key');
});

test('the web backend has no synchronous verification and no private keys: it says so', (t) => {
  t.false(webBackend.verifiesSynchronously);
  t.false(webBackend.supportsPrivateKeys);
  t.false(webBackend.mayVerifyInline(), 'offloadSignatures "auto" never verifies in place with WebCrypto');
  t.throws(() => webBackend.verifySignatureSync());
  t.throws(() => webBackend.importPrivateKey(), { instanceOf: TypeError });
  t.true(nodeBackend.verifiesSynchronously);
  const secret = nodeBackend.importPrivateKey(Uint8Array.of(1, 2, 3), true);
  t.is(secret.type, 'secret');
  t.throws(() => nodeBackend.importPrivateKey(Uint8Array.of(1, 2, 3), false));
});

test.serial('node: a pooled verification that fails to start is not left counted as waiting on the pool', async (t) => {
  const spec = { hash: 'sha256', keyType: 'ec', curve: 'P-256' } as const;
  // Not a KeyObject: crypto.verify throws before any work reaches the pool.
  t.false(await nodeBackend.verifySignatureAsync(spec, 'input', new Uint8Array(64), {} as never));
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  t.true(nodeBackend.mayVerifyInline(), 'nothing waits on the pool: a lone verification runs in place');
});
