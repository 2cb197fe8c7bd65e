import { importSecretKey } from '#crypto-backend';
import type { BackendKey } from '../crypto/backend.js';
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, parseSecret } from '../jws/jose-rules.js';
import { toStringList } from './validate.js';

/** The `algorithms` and `secret` options: which JWS algorithms access tokens may use, and the HMAC key. */

/** Asymmetric JWS algorithms accepted by default for access tokens (RFC 8725 §3.1). */
export const DEFAULT_ALGORITHMS: readonly string[] = ASYMMETRIC_ALGORITHMS;

/** Every JWS algorithm the guard can verify. `none` is not one of them, in any casing. */
export const SUPPORTED_ALGORITHMS: readonly string[] = Object.freeze([...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS]);

/** Validates `secret` (≥ 32 bytes, RFC 7518 §3.2) and imports it as an HMAC key; `undefined` without one. */
export function readSecret(secret: string | Uint8Array | undefined): BackendKey | undefined {
  if (secret === undefined) return undefined;
  return importSecretKey(parseSecret(secret, 'secret'));
}

/**
 * Validates `algorithms` against {@link SUPPORTED_ALGORITHMS} (`HS*` only with a `secret`). Default:
 * every supported algorithm with a secret, else {@link DEFAULT_ALGORITHMS}.
 */
export function readAlgorithms(value: unknown, hasSecret: boolean): ReadonlySet<string> {
  if (value === undefined) {
    return new Set(hasSecret ? SUPPORTED_ALGORITHMS : DEFAULT_ALGORITHMS);
  }
  const list = toStringList(value, 'algorithms');
  for (const alg of list) {
    if (!SUPPORTED_ALGORITHMS.includes(alg)) {
      throw new TypeError(`resource-guard: "algorithms" contains unsupported "${alg}" (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`);
    }
    if (alg.startsWith('HS') && !hasSecret) {
      throw new TypeError(`resource-guard: "algorithms" contains ${alg}, which needs "secret"`);
    }
  }
  return new Set(list);
}
