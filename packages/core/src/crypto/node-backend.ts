import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import type { BackendKey, PublicJwkMaterial, SignatureSpec } from './backend.js';

/**
 * The `node:crypto` backend (see `backend.ts`): prepared `KeyObject`s and the synchronous
 * `crypto.verify`, the fastest correct path in Node (WebCrypto adds a promise and key re-wrapping
 * per call). Selected by the `node` export condition.
 */

/** This backend's name. */
export const backendName = 'node';
/** `crypto.verify` is synchronous. */
export const verifiesSynchronously = true;
/** `KeyObject`s and private JWKs load. */
export const supportsPrivateKeys = true;

type OneShotHash = (algorithm: string, data: string | Uint8Array, outputEncoding: 'base64url' | 'binary') => string;

// `crypto.hash()` (Node ≥ 20.12) skips the Hash object a createHash() call allocates: measurably
// cheaper for the short inputs hashed on every request (cache keys, `ath`, `jti` markers).
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

/** SHA-256 of `data` (strings as UTF-8) in `encoding`. */
export function sha256(data: string | Uint8Array, encoding: 'base64url' | 'binary'): string {
  return oneShot !== undefined ? oneShot('sha256', data, encoding) : crypto.createHash('sha256').update(data).digest(encoding);
}

/** base64url HMAC-SHA-256. */
export function hmacSha256Base64Url(key: Uint8Array, data: string): string {
  return crypto.createHmac('sha256', key).update(data).digest('base64url');
}

/** Random bytes from `crypto.randomBytes`. */
export function randomBytes(size: number): Uint8Array {
  return crypto.randomBytes(size);
}

/** `crypto.timingSafeEqual` for equal lengths, false otherwise. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Bytes of the IV and of the tag of an AES-GCM seal. */
const GCM_IV = 12;
const GCM_TAG = 16;

/** AES-256-GCM seal: base64url(IV ‖ ciphertext ‖ tag). */
export function sealAesGcm(key: Uint8Array, plaintext: string, aad: string): Promise<string> {
  const iv = crypto.randomBytes(GCM_IV);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return Promise.resolve(body.toString('base64url'));
}

/** Opens a {@link sealAesGcm} result; `undefined` when it does not authenticate. */
export function openAesGcm(key: Uint8Array, sealed: string, aad: string): Promise<string | undefined> {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < GCM_IV + GCM_TAG) return Promise.resolve(undefined);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, bytes.subarray(0, GCM_IV), { authTagLength: GCM_TAG });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - GCM_TAG));
    const plain = Buffer.concat([decipher.update(bytes.subarray(GCM_IV, bytes.length - GCM_TAG)), decipher.final()]);
    return Promise.resolve(decodeUtf8(plain));
  } catch {
    return Promise.resolve(undefined);
  }
}

/** `Buffer`'s base64 decoder, which takes both alphabets. */
export function decodeBase64(text: string): Uint8Array {
  return Buffer.from(text, 'base64');
}

/** base64 of UTF-8 text. */
export function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** base64url of bytes, without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** UTF-8 bytes. */
export function encodeUtf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Strict UTF-8 decoding (`isUtf8` first: `toString` would substitute U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
}

/** A base64url segment's strict UTF-8 text. */
export function decodeBase64UrlText(segment: string): string | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** `createPublicKey` from the JWK members; `undefined` when Node refuses them or the type differs. */
export function importPublicKey(material: PublicJwkMaterial, keyType: 'rsa' | 'ec' | 'okp'): BackendKey | undefined {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: material as crypto.JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (keyType === 'rsa' && key.asymmetricKeyType !== 'rsa') return undefined;
  return key;
}

/** A secret `KeyObject`. */
export function importSecretKey(bytes: Uint8Array): BackendKey {
  return crypto.createSecretKey(bytes);
}

/** A `KeyObject` as is, secret bytes (when allowed), or a private JWK; throws otherwise. */
export function importPrivateKey(key: unknown, allowSecret: boolean): { key: unknown; type: string } {
  let keyObject: crypto.KeyObject;
  if (key instanceof crypto.KeyObject) keyObject = key;
  else if (allowSecret && key instanceof Uint8Array) keyObject = crypto.createSecretKey(key);
  else keyObject = crypto.createPrivateKey({ key: key as crypto.JsonWebKey, format: 'jwk' });
  return { key: keyObject, type: keyObject.type };
}

/** `crypto.verify` (HMAC compared in constant time); false for a bad signature or key. */
export function verifySignatureSync(spec: SignatureSpec, signingInput: string, signature: Uint8Array, key: BackendKey): boolean {
  const data = Buffer.from(signingInput, 'latin1');
  if (spec.keyType === 'oct') {
    const expected = crypto.createHmac(spec.hash!, key as crypto.KeyObject).update(data).digest();
    return expected.length === signature.length && crypto.timingSafeEqual(expected, signature);
  }
  try {
    return crypto.verify(spec.hash, data, verifyKeyInput(spec, key as crypto.KeyObject), signature);
  } catch {
    return false;
  }
}

/**
 * `crypto.verify` with a callback (libuv's thread pool) for asymmetric algorithms; HMAC is checked
 * in place (it costs less than the thread hop). Resolves false, never rejects.
 */
export function verifySignatureAsync(spec: SignatureSpec, signingInput: string, signature: Uint8Array, key: BackendKey): Promise<boolean> {
  if (spec.keyType === 'oct') return Promise.resolve(verifySignatureSync(spec, signingInput, signature, key));
  const data = Buffer.from(signingInput, 'latin1');
  return new Promise((resolve) => {
    pooled += 1;
    try {
      crypto.verify(spec.hash, data, verifyKeyInput(spec, key as crypto.KeyObject), signature, (error, valid) => {
        pooled -= 1;
        resolve(error === null && valid);
      });
    } catch {
      pooled -= 1;
      resolve(false);
    }
  });
}

// `offloadSignatures: 'auto'`: the state the choice between the event loop and the pool reads.
// Verifications on the pool not yet answered:
let pooled = 0;
// Tasks (an I/O callback and the promise chain it started) that verified in this event-loop iteration:
let tasksThisTurn = 0;
// More than one did in the previous iteration: requests are queueing, so the next iteration pools too.
let overlapped = false;
// An `endTurn` is scheduled for this iteration's check phase:
let turnEnding = false;
// This task has verified already. Cleared by a tick queued from a microtask: Node runs it only once
// the microtask queue has drained (the whole chain, one request's DPoP proof and then its token
// included), before the loop's next callback.
let taskBusy = false;
const endTurn = (): void => {
  overlapped = tasksThisTurn > 1;
  tasksThisTurn = 0;
  // An overlap is remembered for one more iteration, then forgotten unless it happens again.
  turnEnding = overlapped;
  if (overlapped) setImmediate(endTurn);
};
const endTask = (): void => {
  taskBusy = false;
};
const endTaskWhenDrained = (): void => {
  process.nextTick(endTask);
};

/**
 * Whether a verification starting now should run on the event loop (`offloadSignatures:
 * 'auto'`). No while verifications wait on the pool, and when more than one task of this
 * event-loop iteration (or of the one before) verifies: several requests' I/O callbacks in one
 * iteration mean requests are arriving faster than one at a time, and the loop is better spent
 * parsing and answering them while the pool's threads verify. Yes otherwise: a lone request, the
 * first of an iteration after a quiet one, and every further verification in the same task (one
 * request's DPoP proof and then its token; a loop that awaits one verification after another),
 * where the thread hop would only add latency. Counts, never clocks: the same choice on a fast and
 * on a slow machine.
 */
export function mayVerifyInline(): boolean {
  if (!taskBusy) {
    taskBusy = true;
    queueMicrotask(endTaskWhenDrained);
    tasksThisTurn += 1;
    if (!turnEnding) {
      turnEnding = true;
      setImmediate(endTurn);
    }
  }
  return pooled === 0 && !overlapped && tasksThisTurn === 1;
}

/** The key argument of `crypto.verify`: JOSE's raw ECDSA signatures, RSASSA-PSS salt = hash length. */
function verifyKeyInput(spec: SignatureSpec, key: crypto.KeyObject): crypto.KeyObject | crypto.VerifyKeyObjectInput {
  if (spec.keyType === 'ec') return { key, dsaEncoding: 'ieee-p1363' };
  if (spec.pss) return { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(spec.hash!.slice(3)) / 8 };
  return key;
}

/** The DER of a certificate `X509Certificate` parses. */
export function certificateDer(der: Uint8Array): Uint8Array | undefined {
  try {
    return new crypto.X509Certificate(der).raw;
  } catch {
    return undefined;
  }
}
