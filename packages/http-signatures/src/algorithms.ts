import type { webcrypto } from 'node:crypto';
import type { JsonWebKey } from '@resource-guard/core';

// Types only: the code runs on any runtime's WebCrypto (`globalThis.crypto.subtle`).
type CryptoKey = webcrypto.CryptoKey;
type Algorithm = { name: string; [member: string]: unknown };

/**
 * The JWS algorithms (RFC 7518) a signing key may use, and the RFC 9421 §3.3 algorithm name that
 * signs the same way, where one is registered. A key decides its algorithm (RFC 9421 §3.3.7: by
 * its JWK `alg`, else by its type and curve); a signature's `alg` parameter may only confirm it.
 */
export type SignatureAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'RS256' | 'ES256' | 'ES384' | 'EdDSA' | 'Ed25519' | 'HS256';

interface AlgorithmSpec {
  kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  crv?: string;
  /** The RFC 9421 §6.2 registry name of the same algorithm, when there is one. */
  http?: string;
  importParams: Algorithm;
  signParams: Algorithm;
}

const pss = (hash: string, saltLength: number, http?: string): AlgorithmSpec => ({
  kty: 'RSA', http, importParams: { name: 'RSA-PSS', hash }, signParams: { name: 'RSA-PSS', saltLength },
});
const ecdsa = (crv: string, hash: string, http: string): AlgorithmSpec => ({
  kty: 'EC', crv, http, importParams: { name: 'ECDSA', namedCurve: crv }, signParams: { name: 'ECDSA', hash },
});
const ed25519: AlgorithmSpec = { kty: 'OKP', crv: 'Ed25519', http: 'ed25519', importParams: { name: 'Ed25519' }, signParams: { name: 'Ed25519' } };

// rsa-pss-sha512 (§3.3.1) is PS512: MGF1 with SHA-512 and a 64-byte salt; ecdsa-* (§3.3.4, §3.3.5)
// use the raw r||s form JWS uses; hmac-sha256 (§3.3.3) is HS256.
const SPECS: Readonly<Record<SignatureAlgorithm, AlgorithmSpec>> = {
  PS256: pss('SHA-256', 32),
  PS384: pss('SHA-384', 48),
  PS512: pss('SHA-512', 64, 'rsa-pss-sha512'),
  RS256: { kty: 'RSA', http: 'rsa-v1_5-sha256', importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, signParams: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: ecdsa('P-256', 'SHA-256', 'ecdsa-p256-sha256'),
  ES384: ecdsa('P-384', 'SHA-384', 'ecdsa-p384-sha384'),
  EdDSA: ed25519,
  Ed25519: ed25519,
  HS256: { kty: 'oct', http: 'hmac-sha256', importParams: { name: 'HMAC', hash: 'SHA-256' }, signParams: { name: 'HMAC' } },
};

/** Every algorithm this package can verify and sign with. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = Object.freeze(Object.keys(SPECS) as SignatureAlgorithm[]);

/**
 * The algorithms FAPI 2.0 Security Profile §5.4.1 allows (PS256, ES256, EdDSA with Ed25519):
 * the default of every `algorithms` option here.
 */
export const FAPI_ALGORITHMS: readonly SignatureAlgorithm[] = Object.freeze(['PS256', 'ES256', 'EdDSA', 'Ed25519'] as const);

/** A usable key: its algorithm and the WebCrypto key, imported once. */
export interface ResolvedKey {
  algorithm: SignatureAlgorithm;
  /** The RFC 9421 name of `algorithm`, when it has one (what an `alg` parameter must say). */
  httpAlgorithm: string | undefined;
  kid: string | undefined;
  key: Promise<CryptoKey>;
}

/** A key that cannot be used (wrong type for its `alg`, too small, not for signatures); names the rule only. */
export class KeyError extends Error {}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']);
// Members that are about the key, not of it: WebCrypto's import gets the key material only.
const METADATA_MEMBERS = new Set(['kty', 'alg', 'use', 'key_ops', 'kid', 'ext', 'x5c', 'x5t', 'x5t#S256', 'x5u']);
const MIN_RSA_BITS = 2048;
// 16384-bit moduli: the largest a verifier should spend an operation on.
const MAX_RSA_BITS = 16384;

function defaultAlgorithm(jwk: JsonWebKey): SignatureAlgorithm | undefined {
  switch (jwk.kty) {
    // FAPI 2.0 allows PS256 only for RSA keys; a key meant for another RSA algorithm says so in `alg`.
    case 'RSA': return 'PS256';
    case 'EC': return jwk.crv === 'P-256' ? 'ES256' : jwk.crv === 'P-384' ? 'ES384' : undefined;
    case 'OKP': return jwk.crv === 'Ed25519' ? 'EdDSA' : undefined;
    case 'oct': return 'HS256';
    default: return undefined;
  }
}

function rsaBits(jwk: JsonWebKey): number {
  const n = typeof jwk.n === 'string' ? jwk.n.replace(/^A+/, '') : '';
  return Math.floor(n.length * 6 / 8) * 8;
}

/**
 * The algorithm and WebCrypto key of `jwk`, for `use` (`verify`: the public members only;
 * `sign`: the private key). Refused with a {@link KeyError}: an `alg` outside `allowed` or not
 * matching the key type and curve, RSA keys under 2048 or over 16384 bits, `use` other than
 * `sig`, `key_ops` without the operation, a signing key without its private part. Not checked: certificate chains (`x5c`).
 */
export function resolveKey(jwk: JsonWebKey, use: 'verify' | 'sign', allowed: readonly SignatureAlgorithm[]): ResolvedKey {
  if (typeof jwk !== 'object' || jwk === null) throw new KeyError('the key is not a JWK');
  const algorithm = (jwk.alg ?? defaultAlgorithm(jwk)) as SignatureAlgorithm | undefined;
  const spec = algorithm === undefined ? undefined : SPECS[algorithm];
  if (algorithm === undefined || spec === undefined || !allowed.includes(algorithm)) throw new KeyError('the key\'s algorithm is not allowed');
  if (spec.kty !== jwk.kty || (spec.crv !== undefined && spec.crv !== jwk.crv)) throw new KeyError('the key does not fit its algorithm');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new KeyError('the key is not for signatures');
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes(use)) throw new KeyError('the key\'s key_ops exclude this operation');
  if (use === 'sign' && typeof jwk[spec.kty === 'oct' ? 'k' : 'd'] !== 'string') throw new KeyError('the key has no private part');
  if (spec.kty === 'RSA') {
    const bits = rsaBits(jwk);
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw new KeyError('the RSA key size is outside 2048–16384 bits');
  }
  const material: Record<string, unknown> = { kty: jwk.kty };
  for (const [name, value] of Object.entries(jwk)) {
    if (METADATA_MEMBERS.has(name) || (use === 'verify' && PRIVATE_MEMBERS.has(name))) continue;
    material[name] = value;
  }
  const key = crypto.subtle.importKey('jwk', material, spec.importParams, false, [use]);
  // The rejection is read where the key is used; this keeps an unused key from an unhandled rejection.
  key.catch(() => undefined);
  return { algorithm, httpAlgorithm: spec.http, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, key };
}

function signParams(algorithm: SignatureAlgorithm): Algorithm {
  return SPECS[algorithm].signParams;
}

/** Whether `signature` over `data` verifies with `key` (false for a key WebCrypto refused to import). */
export async function verifyBytes(key: ResolvedKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await key.key;
  } catch {
    return false;
  }
  return crypto.subtle.verify(signParams(key.algorithm), cryptoKey, signature, data);
}

/** The signature of `data` with `key` (a private key resolved for `sign`). */
export async function signBytes(key: ResolvedKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign(signParams(key.algorithm), await key.key, data));
}
