import { encodeUtf8, hmacSha256Base64Url, timingSafeEqual } from '#crypto-backend';
import type { NonceSettings } from './options.js';

/**
 * Stateless DPoP server nonces (RFC 9449 §9): `nonce = base64url(HMAC-SHA256(secret, step))`, where
 * `step = floor(now / lifetime)`. Nothing is stored, so every process holding the same secret issues
 * and accepts the same nonces. A nonce is accepted in the step it belongs to and the next one, so a
 * client never sees a nonce expire the moment after it got it (and processes with slightly
 * different clocks agree).
 *
 * Deliberately not done: binding a nonce to a client or key (RFC 9449 does not ask for it; the
 * proof's own `jti` replay guard still applies), and single-use nonces (those would need state).
 */

/** Domain separation: a secret reused elsewhere never produces a nonce by accident, and vice versa. */
const CONTEXT = 'resource-guard/dpop-nonce/v1:';

/** Issues and checks nonces; see the module comment. */
export interface DpopNonces {
  /** The nonce of the current time step. */
  current(): string;
  /**
   * `'current'`: the nonce of this step; `'previous'`: of the step before (accepted; the response
   * should carry the current one); `'invalid'`: missing, unknown, or older.
   */
  check(nonce: string | undefined): 'current' | 'previous' | 'invalid';
}

/** Creates the nonce issuer/checker. `clock` is in epoch milliseconds. */
export function createDpopNonces(settings: NonceSettings, clock: () => number): DpopNonces {
  const { secret, lifetime } = settings;
  // The two most recent steps' nonces, so steady traffic costs no HMAC per request.
  const memo = new Map<number, { text: string; bytes: Uint8Array }>();
  const nonceAt = (step: number): { text: string; bytes: Uint8Array } => {
    let nonce = memo.get(step);
    if (nonce === undefined) {
      const text = hmacSha256Base64Url(secret, `${CONTEXT}${step}`);
      nonce = { text, bytes: encodeUtf8(text) };
      memo.set(step, nonce);
      for (const old of memo.keys()) if (old < step - 1 || old > step + 1) memo.delete(old);
    }
    return nonce;
  };
  const stepNow = () => Math.floor(clock() / 1000 / lifetime);
  const equals = (candidate: Uint8Array, nonce: { bytes: Uint8Array }) => timingSafeEqual(candidate, nonce.bytes);
  return {
    current: () => nonceAt(stepNow()).text,
    check(nonce) {
      if (nonce === undefined || nonce.length === 0 || nonce.length > 128) return 'invalid';
      const candidate = encodeUtf8(nonce);
      const step = stepNow();
      if (equals(candidate, nonceAt(step))) return 'current';
      if (equals(candidate, nonceAt(step - 1))) return 'previous';
      return 'invalid';
    },
  };
}
