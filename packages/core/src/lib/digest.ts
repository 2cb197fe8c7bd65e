import * as crypto from 'node:crypto';

type OneShotHash = (algorithm: string, data: string | Uint8Array, outputEncoding: 'base64url' | 'binary') => string;

// `crypto.hash()` (Node ≥ 20.12) skips the Hash object a createHash() call allocates: measurably
// cheaper for the short inputs hashed on every request (cache keys, `ath`, `jti` markers).
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

function sha256(data: string | Uint8Array, encoding: 'base64url' | 'binary'): string {
  return oneShot !== undefined ? oneShot('sha256', data, encoding) : crypto.createHash('sha256').update(data).digest(encoding);
}

/** base64url (no padding) of SHA-256 over `data` (a string is hashed as UTF-8). */
export function sha256Base64Url(data: string | Uint8Array): string {
  return sha256(data, 'base64url');
}

/**
 * SHA-256 over `data` as a 32-character binary (latin1) string: a compact in-process map key,
 * cheaper to produce than base64url. Never for output that leaves the process.
 */
export function sha256Binary(data: string | Uint8Array): string {
  return sha256(data, 'binary');
}
