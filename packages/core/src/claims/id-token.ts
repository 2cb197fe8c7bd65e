import { InvalidTokenError } from '../errors/errors.js';
import { isPlainObject } from '../jws/jose-rules.js';
import type { Claims } from './claims.js';

/**
 * ID tokens (OpenID Connect Core §2) told apart by what only they carry. An ID token tells a
 * client who signed in; it grants nothing, and it is often issued for the same `aud` an API
 * accepts (LemonLDAP::NG puts an API's extra audiences into ID tokens too; Google signs one for
 * any audience asked). No option turns this check off: not `requiredClaims`, not `profile`.
 *
 * Recognised by:
 * - an explicit type claim: `typ` `ID` (Keycloak), `token_use` `id` (Cognito), `purpose` `id`
 *   (Curity);
 * - a hash binding the token to a code, an access token or a state (`c_hash`, `at_hash`,
 *   `s_hash`; OIDC Core §3.3.2.11, FAPI 1.0 §5.1);
 * - `nonce` (OIDC Core §2), except beside a `typ` claim `Bearer`: Keycloak before 25 copied the
 *   nonce into its access tokens (and 25's compatibility mapper still does);
 * - for JWTs, `auth_time` with neither `scope` nor `scp`: access tokens that name a sign-in also
 *   name what was granted. Not applied to introspection answers, where RFC 7662 §2.2 makes
 *   `scope` optional and servers copy a session's `auth_time` into answers about access tokens.
 *
 * Not caught: an ID token with none of these (e.g. Google's service-account ID tokens, which is
 * what `profile: 'google'` accepts, by principal). The profiles' markers and RFC 9068's
 * `client_id` and `typ: at+jwt` keep most of those out.
 */

const HASHES = ['at_hash', 'c_hash', 's_hash'] as const;

/**
 * The claim that shows `claims` are an ID token's, with what it says (for the detail: a claim
 * name and a fixed value, never a value of the token's own); `undefined` for anything else.
 * `jwt`: apply the JWT-only `auth_time` test too.
 */
export function findIdTokenClaim(claims: Claims, jwt: boolean): string | undefined {
  const { typ } = claims;
  if (typeof typ === 'string' && typ.toLowerCase() === 'id') return 'claim "typ" "ID"';
  if (claims.token_use === 'id') return 'claim "token_use" "id"';
  if (claims.purpose === 'id') return 'claim "purpose" "id"';
  for (const name of HASHES) if (claims[name] !== undefined) return `claim "${name}"`;
  if (claims.nonce !== undefined && typ !== 'Bearer') return 'claim "nonce"';
  if (jwt && claims.auth_time !== undefined && claims.scope === undefined && claims.scp === undefined) {
    return 'claim "auth_time" without "scope" or "scp"';
  }
  return undefined;
}

/** Throws `ERR_TOKEN_ID_TOKEN` when {@link findIdTokenClaim} recognises an ID token. */
export function refuseIdToken(claims: Claims, jwt: boolean): void {
  const found = findIdTokenClaim(claims, jwt);
  if (found === undefined) return;
  throw new InvalidTokenError('An ID token is not an access token', 'ERR_TOKEN_ID_TOKEN', {
    detail: `the token is an ID token (${found}; OpenID Connect Core §2): it says who signed in to a client and grants no access; `
      + 'the client must send its access token (no option admits ID tokens)',
  });
}

/**
 * Refuses a Security Event Token (RFC 8417): its `events` claim, a JSON object, is REQUIRED in
 * every SET (§2.2) and means nothing in an access token. OpenID Connect Back-Channel Logout tokens
 * are SETs (Back-Channel Logout §2.4), issued by the same server with the same keys and, where an
 * API is also a client, the same `aud`; they carry no `nonce`, so the ID-token test does not catch
 * them, and under `allowGenericJwtTyp` their `typ` `JWT` (or none) does not either. The JWT BCP
 * (draft-ietf-oauth-rfc8725bis §3.11, §3.12) names exactly this confusion. `ERR_TOKEN_SECURITY_EVENT`,
 * whatever the options say; the detail names the claim, never its value.
 */
export function refuseSecurityEventToken(claims: Claims): void {
  if (!isPlainObject(claims.events)) return;
  throw new InvalidTokenError('A security event token is not an access token', 'ERR_TOKEN_SECURITY_EVENT', {
    detail: 'the token has an "events" claim: a Security Event Token (RFC 8417 §2.2), e.g. an OpenID Connect logout token, '
      + 'which grants no access (no option admits one)',
  });
}
