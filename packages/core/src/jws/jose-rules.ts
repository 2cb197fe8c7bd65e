import { encodeUtf8 } from '#crypto-backend';
/**
 * JOSE rules shared by access tokens (RFC 9068), DPoP proofs (RFC 9449) and RFC 9701
 * introspection responses, so that each is applied the same way everywhere: media types in
 * `typ`, private JWK members, the algorithm lists, plain JSON objects, shared secrets.
 */

/** Asymmetric JWS algorithms the guard verifies (RFC 7518 §3, RFC 8037). `none` is never one of them. */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

/** HMAC JWS algorithms (RFC 7518 §3.2): access tokens only, and only with a configured secret. */
export const HMAC_ALGORITHMS: readonly string[] = Object.freeze(['HS256', 'HS384', 'HS512']);

/** JWK members that carry private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
export const PRIVATE_JWK_MEMBERS: readonly string[] = Object.freeze(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** True when `jwk` has any {@link PRIVATE_JWK_MEMBERS} member of its own. */
export function hasPrivateMembers(jwk: Readonly<Record<string, unknown>>): boolean {
  return PRIVATE_JWK_MEMBERS.some((name) => Object.hasOwn(jwk, name));
}

/**
 * A `typ` header as a comparable media type: lower-cased, without the optional `application/`
 * prefix (RFC 7515 §4.1.9, RFC 2045 §5.1); `undefined` when it is not a string.
 */
export function normalizeTyp(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const type = typ.toLowerCase();
  return type.startsWith('application/') ? type.slice('application/'.length) : type;
}

/** True for a JSON object: not `null`, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A shared secret option as bytes: a string (UTF-8) or a `Uint8Array` of at least `minBytes`
 * (RFC 7518 §3.2: an HMAC key as long as the hash). A `TypeError` naming `name` otherwise.
 */
export function parseSecret(value: unknown, name: string, minBytes = 32): Uint8Array {
  const bytes = typeof value === 'string' ? encodeUtf8(value) : value;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < minBytes) {
    throw new TypeError(`resource-guard: "${name}" must be a string or Uint8Array of at least ${minBytes} bytes (RFC 7518 §3.2)`);
  }
  // A copy: the caller's array may change after start-up.
  return Uint8Array.from(bytes);
}
