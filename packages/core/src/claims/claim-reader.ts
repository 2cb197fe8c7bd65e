import { readScopes, readScopeValue, type Claims } from './claims.js';

/**
 * Where one guard reads the client id and the scopes of a verified token (`clientIdClaim`,
 * `scopeClaims`, or the profile's defaults). Resolved once per guard, so building a context (also
 * on a verified-cache hit) costs no option lookups; the defaults keep today's plain reads.
 */
export interface ClaimReader {
  /** `client_id`, else the first configured claim that is a string. */
  clientId(claims: Claims): string | undefined;
  /** The granted scopes, merged from the configured claims. */
  scopes(claims: Claims): string[];
}

const readClientId = (claims: Claims): string | undefined => (typeof claims.client_id === 'string' ? claims.client_id : undefined);

/** Builds the {@link ClaimReader} for the resolved `clientIdClaim` and `scopeClaims`. */
export function createClaimReader(clientIdClaims: readonly string[], scopeClaims: readonly string[]): ClaimReader {
  return { clientId: createClientIdReader(clientIdClaims), scopes: createScopeReader(scopeClaims) };
}

function createClientIdReader(fallbacks: readonly string[]): ClaimReader['clientId'] {
  if (fallbacks.length === 0) return readClientId;
  return (claims) => {
    const own = readClientId(claims);
    if (own !== undefined) return own;
    for (const name of fallbacks) {
      const value = claims[name];
      if (typeof value === 'string') return value;
    }
    return undefined;
  };
}

function createScopeReader(names: readonly string[]): ClaimReader['scopes'] {
  // `scope` and `scp` are one source (`scp` only when `scope` is absent), as before options existed.
  const paired = names.includes('scope') && names.includes('scp');
  if (paired && names.length === 2) return readScopes;
  const others = names.filter((name) => !(paired && (name === 'scope' || name === 'scp')));
  if (!paired && others.length === 1) {
    const only = others[0]!;
    return (claims) => readScopeValue(claims[only]);
  }
  return (claims) => {
    const scopes = paired ? readScopes(claims) : [];
    for (const name of others) {
      for (const scope of readScopeValue(claims[name])) if (!scopes.includes(scope)) scopes.push(scope);
    }
    return scopes;
  };
}
