import { sha256 } from '#crypto-backend';

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
