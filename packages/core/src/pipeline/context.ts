import { readAudience, type Claims } from '../claims/claims.js';
import { createClaimReader, type ClaimReader } from '../claims/claim-reader.js';
import { readAuthorizationDetails, type AuthorizationDetail } from '../claims/authorization-details.js';
import type { TokenFormatName } from './formats.js';

/**
 * Who called, with what, as established by `guard.verify()`. Set as `req.auth` (Express) and
 * `ctx.state.auth` (Koa). **Contract.**
 *
 * `C` describes the claims the application relies on, e.g. `AuthContext<{ sub: string; tenant: string }>`
 * (what `getAuth<C>()` returns). It is an assertion, not a check: make the guard enforce it with
 * `requiredClaims` and `requireClaims()`. With `sub` (`client_id`) declared a string, `subject`
 * (`clientId`) is typed `string`.
 */
export interface AuthContext<C extends object = Claims> {
  /**
   * The access token as received. Non-enumerable: `JSON.stringify(auth)` and `console.log(auth)`
   * leave it out, so echoing the context never echoes the credential.
   */
  readonly token: string;
  /** The scheme the token came with. */
  readonly scheme: 'Bearer' | 'DPoP';
  /** `jwt` for locally validated JWTs, `opaque` for introspected tokens. */
  readonly format: TokenFormatName;
  /** `iss` (for opaque tokens: the introspection response's `iss`, or the configured issuer). */
  readonly issuer: string | undefined;
  /**
   * `sub`: the resource owner, or the client itself for client-credentials tokens. `undefined`
   * when the token or the introspection answer has no string `sub`: it is never guessed from
   * another member (an answer with only {@link username}, as django-oauth-toolkit's, has none).
   */
  readonly subject: C extends { sub: string } ? string : string | undefined;
  /**
   * `username` (RFC 7662 §2.2): a human-readable identifier of the resource owner, as an
   * introspection answer names it (some JWTs carry the same claim, e.g. Cognito's). For display
   * and logs, not for authorization: unlike `sub` it need not be unique or stable.
   */
  readonly username: C extends { username: string } ? string : string | undefined;
  /** `client_id` (else the `clientIdClaim` / the profile's claim, e.g. `azp`): the OAuth client the token was issued to. */
  readonly clientId: C extends { client_id: string } ? string : string | undefined;
  /** `aud` as a list (empty when the introspection response had none). */
  readonly audience: string[];
  /** Granted scopes from `scope` or `scp` (or the `scopeClaims` / the profile's claims, merged). */
  readonly scopes: string[];
  /** `exp`, seconds since the epoch (`undefined` only for opaque tokens without `exp`). */
  readonly expiresAt: number | undefined;
  /** Every claim or introspection member, unknown ones included. */
  readonly claims: Readonly<Claims & C>;
  /** `cnf` (RFC 7800): `jkt` for DPoP-bound, `x5t#S256` for certificate-bound tokens. */
  readonly confirmation: Readonly<Record<string, unknown>> | undefined;
  /**
   * `authorization_details` (RFC 9396 §9.1, §9.2), validated and deep-frozen; empty when the
   * token has none. See `requireAuthorizationDetails()`.
   */
  readonly authorizationDetails: readonly AuthorizationDetail[];
}

/**
 * The registered symbol (`Symbol.for`) under which a context names the guard that verified it,
 * for route requirements and `getAuth()`: a prototype getter, so JSON, spreading and
 * `console.log` leave it out (a spread copy is no context), and registered, so that a second
 * installed copy of the core reads it too. `findIssuingGuard()` in `adapter/` reads it.
 */
export const ISSUING_GUARD: unique symbol = Symbol.for('resource-guard.issuing-guard');

// A class so that `token` can live behind a prototype getter: invisible to JSON.stringify,
// spreading and console.log, and much cheaper per request than Object.defineProperty.
class VerifiedContext implements AuthContext {
  readonly #token: string;
  // The guard that verified this context: costs the adapters no extra property on the request.
  readonly #guard: object | undefined;
  readonly scheme: 'Bearer' | 'DPoP';
  readonly format: TokenFormatName;
  readonly issuer: string | undefined;
  readonly subject: string | undefined;
  readonly username: string | undefined;
  readonly clientId: string | undefined;
  readonly audience: string[];
  readonly scopes: string[];
  readonly expiresAt: number | undefined;
  readonly claims: Readonly<Claims>;
  readonly confirmation: Readonly<Record<string, unknown>> | undefined;
  readonly authorizationDetails: readonly AuthorizationDetail[];

  constructor(
    token: string, scheme: 'Bearer' | 'DPoP', format: TokenFormatName, claims: Claims, fallbackIssuer: string | undefined, guard: object | undefined,
    reader: ClaimReader,
  ) {
    this.#token = token;
    this.#guard = guard;
    this.scheme = scheme;
    this.format = format;
    this.issuer = typeof claims.iss === 'string' ? claims.iss : fallbackIssuer;
    this.subject = typeof claims.sub === 'string' ? claims.sub : undefined;
    this.username = typeof claims.username === 'string' ? claims.username : undefined;
    this.clientId = reader.clientId(claims);
    // Frozen like the claims it may alias (`aud` as an array).
    this.audience = Object.freeze(readAudience(claims) ?? []) as string[];
    this.scopes = reader.scopes(claims);
    this.expiresAt = typeof claims.exp === 'number' ? claims.exp : undefined;
    this.claims = claims;
    this.confirmation = typeof claims.cnf === 'object' && claims.cnf !== null ? claims.cnf as Record<string, unknown> : undefined;
    // The claim rules refused malformed details already: this only reads them.
    this.authorizationDetails = readAuthorizationDetails(claims);
  }

  get token(): string {
    return this.#token;
  }

  get [ISSUING_GUARD](): object | undefined {
    return this.#guard;
  }
}

const DEFAULT_READER = createClaimReader([], ['scope', 'scp']);

/**
 * Builds the {@link AuthContext} from validated claims; `guard` is remembered for route
 * requirements; `reader` says where the client id and scopes are (default `client_id`, `scope`/`scp`).
 */
export function createAuthContext(
  token: string,
  scheme: 'Bearer' | 'DPoP',
  format: TokenFormatName,
  claims: Claims,
  fallbackIssuer?: string,
  guard?: object,
  reader: ClaimReader = DEFAULT_READER,
): AuthContext {
  return new VerifiedContext(token, scheme, format, claims, fallbackIssuer, guard, reader);
}
