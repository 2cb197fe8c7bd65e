import { readScopes, readScopeValue, type Claims } from './claims.js';

/**
 * Where one guard reads the client id and the scopes of a verified token (`clientIdClaim`,
 * `scopeClaims`, or the profile's defaults). Resolved once per guard, so building a context (also
 * on a verified-cache hit) costs no option lookups; the defaults keep today's plain reads.
 */
export interface ClaimReader {
  /** `client_id`, else the first configured claim that is a string. */
  clientId(claims: Claims): string | undefined;
  /** The granted scopes: those of the first configured claim the token carries. */
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

// The first claim present decides, the others are not read: merging a second claim (Entra's
// `roles` beside `scp`, Auth0's `permissions` beside `scope`) would grant the client what only the
// user holds. `scope` then `scp` (the default) is the same rule.
function createScopeReader(names: readonly string[]): ClaimReader['scopes'] {
  if (names.length === 2 && names[0] === 'scope' && names[1] === 'scp') return readScopes;
  if (names.length === 1) {
    const only = names[0]!;
    return (claims) => readScopeValue(claims[only]);
  }
  return (claims) => {
    for (const name of names) {
      const value = claims[name];
      if (value !== undefined && value !== null) return readScopeValue(value);
    }
    return [];
  };
}
