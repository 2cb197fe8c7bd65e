import type { JsonWebKey, PlatformKey } from '../crypto/key-types.js';
import { importPrivateKey, supportsPrivateKeys } from '#crypto-backend';
import { ASYMMETRIC_ALGORITHMS } from './jose-rules.js';

/**
 * Private keys the guard signs with (RFC 7523 client assertions, RFC 9728 signed metadata),
 * checked once at start-up: a private asymmetric key whose type and curve fit the configured JWS
 * algorithm (RFC 7518 §3), so a mismatch is a `TypeError` naming the option, not a failed call.
 * Needs the `node:crypto` backend: with WebCrypto a signing option is a start-up `TypeError`.
 */

/** A private signing key as configured: a `KeyObject` or a private JWK. */
export type PrivateKeyInput = PlatformKey | JsonWebKey;

/** A validated signing key. */
export interface SigningKey {
  key: PlatformKey;
  alg: string;
  kid: string | undefined;
}

/** RSA keys below this size are refused (RFC 7518 §3.3). */
const MIN_RSA_BITS = 2048;
const EC_CURVES: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * Reads `key` and `alg` of a signing option named `name` (e.g. `introspection.privateKeyJwt`):
 * `alg` one of the asymmetric JWS algorithms; `key` private (a public key, a public JWK or secret
 * bytes are refused) and of the type `alg` needs (RSA ≥ 2048 bits for RS and PS, the curve for
 * ES*, Ed25519 for EdDSA); a JWK's own `alg`, when present, must equal `alg`. `kid` defaults to
 * the JWK's `kid`.
 */
export function readSigningKey(key: unknown, alg: unknown, kid: unknown, name: string): SigningKey {
  if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
    throw new TypeError(`resource-guard: "${name}.alg" must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  }
  if (!supportsPrivateKeys) throw new TypeError(`resource-guard: "${name}" needs node:crypto (not available with the WebCrypto backend)`);
  let keyObject: PlatformKey;
  let imported: { key: unknown; type: string };
  try {
    imported = importPrivateKey(key, false);
    keyObject = imported.key as PlatformKey;
  } catch (error) {
    throw new TypeError(`resource-guard: "${name}.key" must be a private KeyObject or a private JWK`, { cause: error });
  }
  if (keyObject.type !== 'private') throw new TypeError(`resource-guard: "${name}.key" must be a private key, not a ${keyObject.type} one`);
  // A KeyObject comes back as itself; anything else was a JWK.
  const jwk = imported.key === key ? undefined : (key as JsonWebKey & { alg?: unknown; kid?: unknown });
  if (jwk?.alg !== undefined && jwk.alg !== alg) {
    throw new TypeError(`resource-guard: "${name}.alg" is ${alg} but the JWK says ${String(jwk.alg)}`);
  }
  if (!fitsAlgorithm(keyObject, alg)) {
    throw new TypeError(`resource-guard: "${name}.key" (${describeKey(keyObject)}) cannot sign ${alg}`);
  }
  const resolvedKid = kid ?? jwk?.kid;
  if (resolvedKid !== undefined && (typeof resolvedKid !== 'string' || resolvedKid.length === 0)) {
    throw new TypeError(`resource-guard: "${name}.kid" must be a non-empty string`);
  }
  return { key: keyObject, alg, kid: resolvedKid as string | undefined };
}

function fitsAlgorithm(key: PlatformKey, alg: string): boolean {
  const details = key.asymmetricKeyDetails;
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    // An RSA-PSS-only key can sign PS* but not RS* (PKCS#1 v1.5).
    const types = alg.startsWith('PS') ? ['rsa', 'rsa-pss'] : ['rsa'];
    return types.includes(key.asymmetricKeyType ?? '') && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
  }
  if (alg.startsWith('ES')) return key.asymmetricKeyType === 'ec' && details?.namedCurve === EC_CURVES[alg];
  return key.asymmetricKeyType === 'ed25519';
}

function describeKey(key: PlatformKey): string {
  const details = key.asymmetricKeyDetails;
  if (details?.namedCurve !== undefined) return `${key.asymmetricKeyType!} ${details.namedCurve}`;
  if (details?.modulusLength !== undefined) return `${key.asymmetricKeyType!} ${details.modulusLength} bits`;
  return key.asymmetricKeyType ?? 'an unknown key type';
}
