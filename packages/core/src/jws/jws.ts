import {
  decodeBase64, decodeBase64UrlText, importPublicKey, mayVerifyInline, verifySignatureAsync, verifySignatureSync,
} from '#crypto-backend';
import type { BackendKey, SignatureSpec } from '../crypto/backend.js';
import { hasCanonicalEnd, isBase64Url } from '../lib/charset.js';
import { hasPrivateMembers, isPlainObject } from './jose-rules.js';

/**
 * Compact JWS parsing and signature verification on the crypto backend (`crypto/backend.ts`):
 * on Node, `node:crypto` with prepared `KeyObject`s, synchronously. Shared by access tokens, DPoP
 * proofs and RFC 9701 introspection responses.
 */

/** A compact JWS split and decoded; the signature is not verified yet. */
export interface ParsedJws {
  header: Readonly<Record<string, unknown>>;
  payload: Record<string, unknown>;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes that were signed. */
  signingInput: string;
  signature: Uint8Array;
  alg: string;
}

// RFC 7515 §5.2 / RFC 8725 §3.7: the segments are UTF-8; invalid bytes make the JWS malformed
// (a lenient decoder would turn them into U+FFFD, so two different byte strings read the same).
/** A base64url segment holding a JSON object, strict UTF-8; `undefined` otherwise. Shared with JWE headers. */
export function decodeJsonSegment(segment: string, checked = false): Record<string, unknown> | undefined {
  if ((!checked && !isBase64Url(segment)) || !hasCanonicalEnd(segment)) return undefined;
  const text = decodeBase64UrlText(segment);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decodes the header of a compact JWS when `token` has the shape of one: three base64url
 * segments and a JSON object header with a string `alg`. `undefined` otherwise (an opaque token).
 */
export function decodeProtectedHeader(token: string): Record<string, unknown> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const second = token.indexOf('.', dot + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
  const header = decodeJsonSegment(token.slice(0, dot));
  return header !== undefined && typeof header.alg === 'string' ? header : undefined;
}

/**
 * A {@link decodeProtectedHeader} that remembers the last few distinct header segments: an API
 * sees the same handful of access-token headers (one per issuer key) millions of times. Returned
 * headers are frozen because they are shared. Bounded: the memory is cleared when full.
 */
export function createHeaderDecoder(max = 64): (token: string) => Readonly<Record<string, unknown>> | undefined {
  const known = new Map<string, Readonly<Record<string, unknown>>>();
  return (token) => {
    const dot = token.indexOf('.');
    const segment = dot > 0 ? token.slice(0, dot) : '';
    const hit = known.get(segment);
    if (hit !== undefined) {
      const second = token.indexOf('.', dot + 1);
      return second > 0 && token.indexOf('.', second + 1) < 0 ? hit : undefined;
    }
    const header = decodeProtectedHeader(token);
    if (header !== undefined) {
      if (known.size >= max) known.clear();
      known.set(segment, Object.freeze(header));
    }
    return header;
  };
}

/**
 * Splits a compact JWS whose header was decoded; `undefined` when the payload or signature is
 * malformed. `segmentsChecked`: the caller has already matched the whole string against the
 * compact shape (`checkTokenSyntax`), so the base64url scans of payload and signature are skipped.
 */
export function parseJws(token: string, header: Readonly<Record<string, unknown>>, segmentsChecked = false): ParsedJws | undefined {
  const dot = token.indexOf('.');
  const second = token.indexOf('.', dot + 1);
  const payload = decodeJsonSegment(token.slice(dot + 1, second), segmentsChecked);
  const signature = token.slice(second + 1);
  if (payload === undefined || signature.length === 0 || (!segmentsChecked && !isBase64Url(signature)) || !hasCanonicalEnd(signature)) return undefined;
  return {
    header,
    payload,
    signingInput: token.slice(0, second),
    signature: decodeBase64(signature),
    alg: header.alg as string,
  };
}

interface AlgorithmSpec extends SignatureSpec {
  /** Curves an OKP key may have for this algorithm. */
  curves?: readonly string[];
  signatureLength?: number;
}

const ALGORITHMS: Readonly<Record<string, AlgorithmSpec>> = {
  RS256: { hash: 'sha256', keyType: 'rsa' },
  RS384: { hash: 'sha384', keyType: 'rsa' },
  RS512: { hash: 'sha512', keyType: 'rsa' },
  PS256: { hash: 'sha256', keyType: 'rsa', pss: true },
  PS384: { hash: 'sha384', keyType: 'rsa', pss: true },
  PS512: { hash: 'sha512', keyType: 'rsa', pss: true },
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'P-256', signatureLength: 64 },
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'P-384', signatureLength: 96 },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'P-521', signatureLength: 132 },
  EdDSA: { hash: null, keyType: 'okp', curves: ['Ed25519', 'Ed448'] },
  Ed25519: { hash: null, keyType: 'okp', curves: ['Ed25519'] },
  HS256: { hash: 'sha256', keyType: 'oct' },
  HS384: { hash: 'sha384', keyType: 'oct' },
  HS512: { hash: 'sha512', keyType: 'oct' },
};

/** Asymmetric algorithms a JWK can verify; `oct` keys never come from a key set. */
export function isAsymmetricAlgorithm(alg: string): boolean {
  const spec = ALGORITHMS[alg];
  return spec !== undefined && spec.keyType !== 'oct';
}

/** A verification key prepared once: the backend's key (a `KeyObject` on Node) and what it may verify. */
export interface VerificationKey {
  key: BackendKey;
  kid: string | undefined;
  /** `alg` member of the JWK, when it named one. */
  alg: string | undefined;
  keyType: 'rsa' | 'ec' | 'okp' | 'oct';
  curve: string | undefined;
}

/** Largest RSA modulus accepted for keys from a JWKS, in bits. */
export const MAX_JWKS_RSA_BITS = 8192;

/** Largest RSA modulus accepted for DPoP proof keys (chosen by the client), in bits. */
export const MAX_PROOF_RSA_BITS = 4096;

/** Smallest RSA modulus accepted, in bits (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

/** Options of {@link importPublicJwk}. */
export interface ImportJwkOptions {
  /** Largest RSA modulus in bits. Default {@link MAX_JWKS_RSA_BITS}. */
  maxRsaBits?: number;
}

/**
 * Imports a public JWK for signature verification. `undefined` for keys that must not be used:
 * private or symmetric members present, `use` other than `sig`, `key_ops` without `verify`,
 * unsupported types, an RSA modulus outside [{@link MIN_RSA_BITS}, `maxRsaBits`] or a public
 * exponent that is even or outside 65537 ≤ e < 2^256 (NIST SP 800-56B Rev. 2 §6.2). The RSA
 * bounds are checked on the encoded members, before any key is imported: verifying with a huge
 * modulus or exponent costs far more than any honest key, and the key may come from a client.
 */
export function importPublicJwk(jwk: unknown, options: ImportJwkOptions = {}): VerificationKey | undefined {
  if (!isPlainObject(jwk)) return undefined;
  const member = jwk;
  if (member.kty === 'RSA' && !hasSafeRsaSize(member, options.maxRsaBits ?? MAX_JWKS_RSA_BITS)) return undefined;
  if (hasPrivateMembers(member)) return undefined;
  if (member.use !== undefined && member.use !== 'sig') return undefined;
  if (member.key_ops !== undefined && (!Array.isArray(member.key_ops) || !member.key_ops.includes('verify'))) return undefined;
  if (member.kid !== undefined && typeof member.kid !== 'string') return undefined;
  if (member.alg !== undefined && (typeof member.alg !== 'string' || !isAsymmetricAlgorithm(member.alg))) return undefined;
  let keyType: VerificationKey['keyType'];
  if (member.kty === 'RSA') keyType = 'rsa';
  else if (member.kty === 'EC') keyType = 'ec';
  else if (member.kty === 'OKP') keyType = 'okp';
  else return undefined;
  const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, x5c: _x5c, x5t: _x5t, 'x5t#S256': _x5t256, x5u: _x5u, ...material } = member;
  // The RSA modulus bounds were checked on `n` above, the same on every backend.
  const key = importPublicKey(material, keyType);
  if (key === undefined) return undefined;
  const curve = keyType === 'ec' ? (member.crv as string) : keyType === 'okp' ? (member.crv as string) : undefined;
  return { key, kid: member.kid as string | undefined, alg: member.alg as string | undefined, keyType, curve };
}

/** Bit length of a big-endian unsigned integer (leading zero bytes ignored). */
function bitLength(bytes: Uint8Array): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start += 1;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}

// The encoded length bounds the work before anything is decoded: a modulus of `maxBits` bits is at
// most ceil(maxBits / 6) base64url characters (leading zero bytes aside, which honest encoders omit).
function hasSafeRsaSize(jwk: Record<string, unknown>, maxBits: number): boolean {
  const { n, e } = jwk;
  if (typeof n !== 'string' || typeof e !== 'string' || n.length > Math.ceil(maxBits / 6) + 4 || e.length > 43) return false;
  if (!isBase64Url(n) || !isBase64Url(e)) return false;
  const modulusBits = bitLength(decodeBase64(n));
  const exponent = decodeBase64(e);
  const exponentBits = bitLength(exponent);
  // 65537 ≤ e < 2^256, odd.
  if (exponentBits > 256 || exponentBits < 17 || (exponent[exponent.length - 1]! & 1) === 0) return false;
  if (exponentBits === 17 && (exponent[exponent.length - 3]! << 16 | exponent[exponent.length - 2]! << 8 | exponent[exponent.length - 1]!) < 65537) return false;
  return modulusBits >= MIN_RSA_BITS && modulusBits <= maxBits;
}

/** Whether `key` may verify signatures made with `alg` (key type, curve, JWK `alg`). */
export function keyMatchesAlgorithm(key: VerificationKey, alg: string): boolean {
  const spec = ALGORITHMS[alg];
  if (spec === undefined || key.keyType !== spec.keyType) return false;
  if (key.alg !== undefined && key.alg !== alg && !(alg === 'EdDSA' && key.alg === 'Ed25519') && !(alg === 'Ed25519' && key.alg === 'EdDSA')) return false;
  if (spec.curve !== undefined && key.curve !== spec.curve) return false;
  if (spec.curves !== undefined && (key.curve === undefined || !spec.curves.includes(key.curve))) return false;
  return true;
}

/**
 * Verifies the signature of `jws` with `key`. The caller has already checked that `alg` is
 * allowed and that the key matches it; this returns false (never throws) for a bad signature.
 * Only for a backend that verifies synchronously (`verifiesSynchronously`); the others take {@link verifySignatureOffloaded}.
 */
export function verifySignature(jws: ParsedJws, key: VerificationKey): boolean {
  const spec = ALGORITHMS[jws.alg];
  if (spec === undefined) return false;
  if (spec.signatureLength !== undefined && jws.signature.length !== spec.signatureLength) return false;
  return verifySignatureSync(spec, jws.signingInput, jws.signature, key.key);
}

/**
 * {@link verifySignature}, asynchronously: on Node on libuv's thread pool (`crypto.verify` with a
 * callback) for asymmetric algorithms, HMAC in place (it costs less than the thread hop); with
 * WebCrypto `crypto.subtle.verify`. Resolves false (never rejects) for a bad signature.
 */
export function verifySignatureOffloaded(jws: ParsedJws, key: VerificationKey): Promise<boolean> {
  const spec = ALGORITHMS[jws.alg];
  if (spec === undefined || (spec.signatureLength !== undefined && jws.signature.length !== spec.signatureLength)) return Promise.resolve(false);
  return verifySignatureAsync(spec, jws.signingInput, jws.signature, key.key);
}

/**
 * Where signatures are checked (the `offloadSignatures` option): `false` on the event loop, `true`
 * on the thread pool, `'auto'` on the event loop while verifications come one at a time and on
 * the pool once they overlap.
 */
export type OffloadSignatures = boolean | 'auto';

/**
 * Whether the signature about to be checked goes to the thread pool under `mode`: the one place
 * the access token's, the DPoP proof's and the RFC 9701 answer's verifications decide it. Asked
 * once per signature, just before it is checked.
 */
export function offloadsNow(mode: OffloadSignatures): boolean {
  return mode === 'auto' ? !mayVerifyInline() : mode;
}

/** {@link verifySignatureOffloaded} with each of `keys` in turn: whether one of them verifies. */
export async function verifyWithAnyKey(jws: ParsedJws, keys: readonly VerificationKey[]): Promise<boolean> {
  for (const key of keys) {
    if (await verifySignatureOffloaded(jws, key)) return true;
  }
  return false;
}
