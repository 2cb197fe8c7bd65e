import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';

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

function toJwk(privateKey: KeyObject, publicKey: KeyObject, alg: SigningJwk['alg']): SigningJwk {
  const kid = thumbprint(publicKey.export({ format: 'jwk' }) as Record<string, unknown>);
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown> & { kty: string };
  return { ...jwk, kid, alg, use: 'sig' };
}

/**
 * Generates the AS signing keys in memory, fresh at every start: one ES256 (P-256) key, listed
 * first so it is the default, and one RS256 (2048-bit) key. `kid` is the RFC 7638 thumbprint.
 */
export function generateSigningKeys(): SigningJwk[] {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return [toJwk(ec.privateKey, ec.publicKey, 'ES256'), toJwk(rsa.privateKey, rsa.publicKey, 'RS256')];
}
