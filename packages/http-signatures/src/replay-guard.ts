import type { SignatureAlgorithm } from './algorithms.js';
import { digest } from './content-digest.js';
import type { ResolvedReplayOptions } from './options.js';
import type { Fail, SignatureParams } from './signature-checks.js';
import { encodeBase64 } from './structured-fields.js';

/**
 * The replay guard of request signatures (RFC 9421 §7.2.2): a signature that verified is recorded,
 * and the same one again within its acceptance window is refused. FAPI 2.0 Message Signing bounds
 * a captured request by `created` only; this closes the window for APIs where one replay matters
 * (a payment sent twice).
 */

/** The timing settings the record's lifetime is computed from, in seconds. */
export interface ReplayWindow {
  now: number;
  maxAge: number;
  clockTolerance: number;
}

/**
 * Seconds a verified signature must stay recorded: until it would no longer be accepted (`created`
 * + `maxAge`, or `expires` if sooner, plus `clockTolerance`), plus `clockTolerance` again for the
 * clocks of other processes sharing the store, and at least 1.
 */
export function replayTtl(params: Pick<SignatureParams, 'created' | 'expires'>, window: ReplayWindow): number {
  const lastAccepted = Math.min(params.created + window.maxAge, params.expires ?? Infinity) + window.clockTolerance;
  return Math.max(1, Math.ceil(lastAccepted - window.now) + window.clockTolerance);
}

/** `nonce` present as a String (RFC 9421 §2.3) when `requireNonce` is set. */
export function checkNonce(replay: ResolvedReplayOptions | undefined, nonce: unknown, fail: Fail): void {
  if (replay?.requireNonce === true && (typeof nonce !== 'string' || nonce === '')) {
    throw fail('ERR_HTTPSIG_NONCE_MISSING', 'The signature has no nonce', 'no nonce parameter (a non-empty String, RFC 9421 §2.3); "replay.requireNonce" asks for one');
  }
}

// The group orders of the ECDSA curves (SEC 2 §2.4.2, §2.5.1).
const CURVE_ORDERS: Partial<Record<SignatureAlgorithm, bigint>> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

const toBigInt = (bytes: Uint8Array): bigint => bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);

/**
 * The form of a verified signature that its replays share. An ECDSA signature (r, s) verifies as
 * (r, n − s) too, so whoever captured a signed request can send it again with that second
 * signature: both are recorded as the one with the smaller s. RSA-PSS, RSASSA-PKCS1-v1_5, Ed25519
 * (whose verification refuses s ≥ L) and HMAC have one valid encoding per signature.
 */
export function canonicalSignature(algorithm: SignatureAlgorithm, signature: Uint8Array): Uint8Array {
  const order = CURVE_ORDERS[algorithm];
  // Only verified signatures come here: an ECDSA one is r ‖ s, two halves of the curve's size.
  if (order === undefined) return signature;
  const half = signature.length / 2;
  const s = toBigInt(signature.subarray(half));
  if (s <= order >> 1n) return signature;
  let low = order - s;
  const out = Uint8Array.from(signature);
  for (let i = signature.length - 1; i >= half; i -= 1) {
    out[i] = Number(low & 0xffn);
    low >>= 8n;
  }
  return out;
}

/**
 * Records `signature` (its SHA-256, never the value; pass it through {@link canonicalSignature})
 * with the store's atomic `add` for `ttl` seconds; refuses it when it was recorded before. A store that throws, rejects or answers other
 * than a boolean is a 503: fail closed. The detail names the store's error class only: its message
 * may carry the store's address or credentials, which no log line should.
 */
export async function recordSignature(replay: ResolvedReplayOptions, signature: Uint8Array, ttl: number, fail: Fail): Promise<void> {
  const hash = await digest('sha-256', signature);
  const key = `httpsig:${encodeBase64(hash).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
  let added: unknown;
  try {
    added = await replay.store.add(key, 1, ttl);
  } catch (cause) {
    const kind = cause instanceof Error ? cause.name : typeof cause;
    throw fail('ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE', 'The signature replay store is unavailable', `the replay store's add() failed (${kind})`);
  }
  if (typeof added !== 'boolean') {
    throw fail('ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE', 'The signature replay store is unavailable', 'the replay store\'s add() answered something other than a boolean');
  }
  if (!added) {
    throw fail('ERR_HTTPSIG_REPLAYED', 'The signature was used before', 'this signature verified before and is still within its acceptance window (RFC 9421 §7.2.2)');
  }
}
