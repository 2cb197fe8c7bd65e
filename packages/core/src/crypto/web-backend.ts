import type { webcrypto } from 'node:crypto';
import type { BackendKey, PublicJwkMaterial, SignatureSpec } from './backend.js';
import { hmacSha256Bytes, sha256Bytes } from './sha256.js';

/**
 * The WebCrypto backend (see `backend.ts`) for runtimes without `node:` modules (Cloudflare
 * Workers, Vercel Edge, browsers): signatures by `crypto.subtle` (asynchronous only, so the guard
 * takes its asynchronous path), hashes and HMAC for nonces synchronously in plain JavaScript
 * (`sha256.ts`), no `Buffer`. Selected by every export condition except `node`. `crypto.subtle` is
 * called directly rather than through jose's `compactVerify`: the core has parsed and checked the
 * JWS already, and jose would parse it again.
 *
 * Limits: no private keys (JWE decryption and signed metadata need `node:crypto`: a start-up
 * `TypeError`); a JWK is imported into WebCrypto when first used, so a malformed key (say, an EC
 * point off its curve) fails as a bad signature rather than as an unusable key — the same
 * `invalid_token` / `invalid_dpop_proof` answer, another `code`; Ed448 only where the runtime has it.
 */

/** This backend's name. */
export const backendName = 'webcrypto';
/** `crypto.subtle.verify` returns a promise. */
export const verifiesSynchronously = false;
/** No `KeyObject`s here. */
export const supportsPrivateKeys = false;

// Type-only: the names of the Web Crypto API's types in @types/node (erased from the output).
type JsonWebKey = webcrypto.JsonWebKey;
type CryptoKey = webcrypto.CryptoKey;

interface WebKey {
  material: JsonWebKey | Uint8Array;
  /** Imported `CryptoKey`s by algorithm (a WebCrypto key is bound to one); `undefined` when refused. */
  imported: Map<string, Promise<CryptoKey | undefined>>;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64URL = `${BASE64.slice(0, 62)}-_`;
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i += 1) {
  DECODE[BASE64.charCodeAt(i)] = i;
  DECODE[BASE64URL.charCodeAt(i)] = i;
}

/** Like `Buffer`'s decoder: either alphabet, stops at `=`, skips other characters, drops trailing bits. */
export function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let length = 0;
  let bits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x3d) break;
    const digit = code < 128 ? DECODE[code]! : -1;
    if (digit < 0) continue;
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, length);
}

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const count = Math.min(3, bytes.length - i) + 1;
    for (let j = 0; j < 4; j += 1) text += j < count ? alphabet[(chunk >> (18 - j * 6)) & 63] : (pad ? '=' : '');
  }
  return text;
}

/** base64url of bytes, without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, BASE64URL, false);
}

/** base64 of UTF-8 text. */
export function encodeBase64(text: string): string {
  return encode(encoder.encode(text), BASE64, true);
}

/** UTF-8 bytes. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding (a fatal `TextDecoder`). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A base64url segment's strict UTF-8 text. */
export function decodeBase64UrlText(segment: string): string | undefined {
  return decodeUtf8(decodeBase64(segment));
}

/** SHA-256 in plain JavaScript (`sha256.ts`). */
export function sha256(data: string | Uint8Array, encoding: 'base64url' | 'binary'): string {
  const digest = sha256Bytes(typeof data === 'string' ? encoder.encode(data) : data);
  return encoding === 'base64url' ? encode(digest, BASE64URL, false) : String.fromCharCode(...digest);
}

/** base64url HMAC-SHA-256 in plain JavaScript. */
export function hmacSha256Base64Url(key: Uint8Array, data: string): string {
  return encode(hmacSha256Bytes(key, encoder.encode(data)), BASE64URL, false);
}

/** `crypto.getRandomValues`. */
export function randomBytes(size: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(size));
}

/** Bytes of the IV and of the tag of an AES-GCM seal. */
const GCM_IV = 12;
const GCM_TAG = 16;

const importAesKey = (key: Uint8Array, usage: 'encrypt' | 'decrypt') => crypto.subtle.importKey('raw', key, 'AES-GCM', false, [usage]);

/** AES-256-GCM seal by `crypto.subtle`: base64url(IV ‖ ciphertext ‖ tag). */
export async function sealAesGcm(key: Uint8Array, plaintext: string, aad: string): Promise<string> {
  const iv = randomBytes(GCM_IV);
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(aad) }, await importAesKey(key, 'encrypt'), encoder.encode(plaintext),
  ));
  const body = new Uint8Array(GCM_IV + sealed.length);
  body.set(iv);
  body.set(sealed, GCM_IV);
  return encode(body, BASE64URL, false);
}

/** Opens a {@link sealAesGcm} result; `undefined` when it does not authenticate. */
export async function openAesGcm(key: Uint8Array, sealed: string, aad: string): Promise<string | undefined> {
  const bytes = decodeBase64(sealed);
  if (bytes.length < GCM_IV + GCM_TAG) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(0, GCM_IV), additionalData: encoder.encode(aad) },
      await importAesKey(key, 'decrypt'), bytes.subarray(GCM_IV),
    );
    return decodeUtf8(new Uint8Array(plain));
  } catch {
    return undefined;
  }
}

/** Compares every byte whatever the first difference. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

const CURVE_SIZES: Readonly<Record<string, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66, Ed25519: 32, Ed448: 57 };

/**
 * Keeps the JWK for a lazy import. The checks Node's import makes that can be made without
 * WebCrypto are made here: a known curve and coordinates of that curve's size.
 */
export function importPublicKey(material: PublicJwkMaterial, keyType: 'rsa' | 'ec' | 'okp'): BackendKey | undefined {
  if (keyType !== 'rsa') {
    const { crv } = material;
    const size = typeof crv === 'string' ? CURVE_SIZES[crv] : undefined;
    const ec = keyType === 'ec';
    if (size === undefined || ec !== (crv as string).startsWith('P-')) return undefined;
    for (const name of ec ? ['x', 'y'] : ['x']) {
      const value = material[name];
      if (typeof value !== 'string' || decodeBase64(value).length !== size || value.length !== Math.ceil((size * 4) / 3)) return undefined;
    }
  }
  const key: WebKey = { material: material as JsonWebKey, imported: new Map() };
  return key;
}

/** Keeps the secret bytes; imported per hash on first use. */
export function importSecretKey(bytes: Uint8Array): BackendKey {
  const key: WebKey = { material: Uint8Array.from(bytes), imported: new Map() };
  return key;
}

/** Private keys need `node:crypto`. */
export function importPrivateKey(): never {
  throw new TypeError('private keys need the node:crypto backend');
}

const HASHES = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

/** WebCrypto's import and verify parameters for `spec`. */
function algorithmOf(spec: SignatureSpec, material: WebKey['material']): { name: string; [member: string]: unknown } {
  const hash = spec.hash === null ? undefined : HASHES[spec.hash];
  if (spec.keyType === 'oct') return { name: 'HMAC', hash };
  if (spec.keyType === 'ec') return { name: 'ECDSA', namedCurve: spec.curve, hash };
  if (spec.keyType === 'okp') return { name: (material as JsonWebKey).crv! };
  return spec.pss ? { name: 'RSA-PSS', hash, saltLength: Number(spec.hash!.slice(3)) / 8 } : { name: 'RSASSA-PKCS1-v1_5', hash };
}

function cryptoKey(key: WebKey, algorithm: { name: string; [member: string]: unknown }): Promise<CryptoKey | undefined> {
  const id = `${algorithm.name}/${String(algorithm.hash)}`;
  let imported = key.imported.get(id);
  if (imported === undefined) {
    const { material } = key;
    imported = (material instanceof Uint8Array
      ? crypto.subtle.importKey('raw', material, algorithm, false, ['verify'])
      : crypto.subtle.importKey('jwk', material, algorithm, false, ['verify'])
    ).then((value) => value, () => undefined);
    key.imported.set(id, imported);
  }
  return imported;
}

/** Never: `crypto.subtle` verifies asynchronously only (on Node, on libuv's thread pool). */
export function mayVerifyInline(): boolean {
  return false;
}

/** WebCrypto verifies asynchronously only: the guard never calls this with this backend. */
export function verifySignatureSync(): boolean {
  throw new Error('resource-guard: the WebCrypto backend verifies asynchronously');
}

/** `crypto.subtle.verify`; false (never rejects) for a bad signature or a key WebCrypto refuses. */
export async function verifySignatureAsync(spec: SignatureSpec, signingInput: string, signature: Uint8Array, key: BackendKey): Promise<boolean> {
  const webKey = key as WebKey;
  const algorithm = algorithmOf(spec, webKey.material);
  try {
    const imported = await cryptoKey(webKey, algorithm);
    return imported !== undefined && await crypto.subtle.verify(algorithm, imported, signature, encoder.encode(signingInput));
  } catch {
    return false;
  }
}

/** Reads one DER TLV at `offset`: its tag, where its contents start and where it ends; `undefined` if it overruns `end`. */
function readTlv(der: Uint8Array, offset: number, end: number): { tag: number; start: number; next: number } | undefined {
  if (offset + 2 > end) return undefined;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > end || der[start] === 0) return undefined;
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + der[start + i]!;
    if (length < 0x80) return undefined;
    start += count;
  }
  return start + length <= end ? { tag, start, next: start + length } : undefined;
}

/**
 * The certificate's DER when `der` starts with `SEQUENCE { SEQUENCE tbs, SEQUENCE algorithm, BIT
 * STRING signature }`; like Node's `X509Certificate`, bytes after that SEQUENCE are dropped.
 */
export function certificateDer(der: Uint8Array): Uint8Array | undefined {
  const outer = readTlv(der, 0, der.length);
  if (outer === undefined || outer.tag !== 0x30) return undefined;
  const tbs = readTlv(der, outer.start, outer.next);
  const algorithm = tbs && readTlv(der, tbs.next, outer.next);
  const signature = algorithm && readTlv(der, algorithm.next, outer.next);
  if (tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03 || signature.next !== outer.next) return undefined;
  return der.subarray(0, outer.next);
}
