import { createRemoteJWKSet, jwtVerify } from 'jose';
import { UpstreamUnavailableError } from '@resource-guard/core';
import { parseServerUrl } from '@resource-guard/core/adapter';
import { readString } from './options.js';

/** Where RFC 9701 answers are verified: the issuer and its key set. */
export interface Rfc9701Settings {
  issuer: string;
  jwksUri: string;
}

/** What a verified RFC 9701 answer says: active or not, and until when (seconds). */
export type Rfc9701Verdict = { active: false } | { active: true; exp: number | undefined };

/** Asymmetric algorithms only: an introspection answer is signed by the AS, never with a shared secret. */
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'];

/**
 * A verifier of RFC 9701 JWT introspection answers (`typ: token-introspection+jwt`): signature by
 * a key of `jwksUri` (asymmetric only), `iss` the issuer, `aud` our client id, `iat` at most
 * `maxAge` seconds old; then `token_introspection.active`. Any failure is the authorization
 * server's answer being unusable: 503, never 401. Validated at start-up (`TypeError`).
 */
export function createRfc9701Verifier(
  value: unknown,
  clientId: string,
  insecure: boolean,
): (jwt: string, nowSeconds: number) => Promise<Rfc9701Verdict> {
  const settings = (value ?? {}) as Partial<Rfc9701Settings>;
  const issuer = readString(settings.issuer, 'phantomToken.verify.issuer', '');
  const keys = createRemoteJWKSet(parseServerUrl(settings.jwksUri, 'phantomToken.verify.jwksUri', insecure), { timeoutDuration: 5000 });
  return async (jwt, nowSeconds) => {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(jwt, keys, {
        issuer, audience: clientId, typ: 'token-introspection+jwt', algorithms: ALGORITHMS, maxTokenAge: 60, requiredClaims: ['iat'], currentDate: new Date(nowSeconds * 1000),
      }));
    } catch (cause) {
      throw new UpstreamUnavailableError('Introspection JWT response rejected', 'ERR_GATEWAY_PHANTOM_RESPONSE_INVALID', { cause });
    }
    const introspection = claims.token_introspection as { active?: unknown; exp?: unknown } | undefined;
    if (typeof introspection !== 'object' || introspection === null) {
      throw new UpstreamUnavailableError('Introspection JWT response has no token_introspection', 'ERR_GATEWAY_PHANTOM_RESPONSE_INVALID');
    }
    if (introspection.active !== true) return { active: false };
    return { active: true, exp: typeof introspection.exp === 'number' ? introspection.exp : undefined };
  };
}
