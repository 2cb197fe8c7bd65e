import { createHash, generateKeyPairSync } from 'node:crypto';

/** A private signing key as a JWK, with the `kid`, `alg` and `use` oidc-provider needs. */
export interface SigningJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256';
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

/** RFC 7638 thumbprint of a public JWK (the required members, sorted, no whitespace). */
function thumbprint(publicJwk: Record<string, unknown>): string {
  const members = publicJwk['kty'] === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n'];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, publicJwk[m]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

// Keys are generated straight into JWK form: exporting a freshly generated KeyObject was seen to
// deadlock Node 20 once (GC finalising the key-generation job during the export).
const JWK_ENCODING = { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as const;

function toJwk(pair: { publicKey: Record<string, unknown>; privateKey: Record<string, unknown> }, alg: SigningJwk['alg']): SigningJwk {
  return { ...(pair.privateKey as { kty: string }), kid: thumbprint(pair.publicKey), alg, use: 'sig' };
}

/**
 * Generates the AS signing keys in memory, fresh at every start: one ES256 (P-256) key, listed
 * first so it is the default, and one RS256 (2048-bit) key. `kid` is the RFC 7638 thumbprint.
 */
export function generateSigningKeys(): SigningJwk[] {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', ...JWK_ENCODING });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, ...JWK_ENCODING });
  return [toJwk(ec as never, 'ES256'), toJwk(rsa as never, 'RS256')];
}
