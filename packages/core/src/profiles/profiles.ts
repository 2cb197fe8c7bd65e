/**
 * Provider profiles: named sets of defaults for the claims a provider puts in its JWT access
 * tokens. A profile only sets defaults (each overridable by its own option) and adds the checks
 * that keep the provider's ID tokens out where it relaxes `typ` (the "markers", run by
 * `pipeline/validators.ts`). Token shapes are those the providers document; docs/providers.md has
 * the recipe per provider.
 */

/** The `profile` option's values. `rfc9068` is the default: RFC 9068 tokens only. */
export type ProfileName =
  | 'rfc9068' | 'auth0' | 'okta' | 'entra' | 'cognito' | 'keycloak' | 'curity' | 'zitadel' | 'duende' | 'hydra' | 'google';

/**
 * A claim test telling a provider's access tokens from its other JWTs (ID tokens above all):
 * `equals` — the claim has this string value (Cognito `token_use: "access"`);
 * `anyOf` — at least one of these claims is present (Okta `scp`);
 * `cases` — the claim is one of the listed values, and that value's claims are all present
 * (Entra `ver: "2.0"` → `azp`).
 */
export type AccessTokenMarker =
  | { readonly claim: string; readonly equals: string }
  | { readonly anyOf: readonly string[] }
  | { readonly claim: string; readonly cases: Readonly<Record<string, readonly string[]>> };

/** One provider's defaults. */
export interface ProviderProfile {
  readonly name: ProfileName;
  /** Accept `typ: JWT` or no `typ` besides `at+jwt` (the `allowGenericJwtTyp` default). */
  readonly allowGenericJwtTyp: boolean;
  /** The `requiredClaims` default (`iss`, `aud`, `exp` are always required). */
  readonly requiredClaims: readonly string[];
  /** Claims naming the client when `client_id` is absent, in order (the `clientIdClaim` default). */
  readonly clientIdClaims: readonly string[];
  /**
   * Claims holding what the *client* was granted, in order: the first one the token carries gives
   * `auth.scopes` (the `scopeClaims` default). Never the user's entitlements (roles, permissions,
   * groups): those stay in `auth.claims`, for `requireClaims()`.
   */
  readonly scopeClaims: readonly string[];
  /**
   * Why a verified token of this provider grants no scope at all, when the provider has a known
   * reason (Entra app-only tokens without an app role): added to an `insufficient_scope` detail.
   */
  readonly explainNoScopes: ((claims: Readonly<Record<string, unknown>>) => string | undefined) | undefined;
  /** Accept `scope` as a JSON array of strings, as `scp` is (RFC 9068 §2.2.3 says a string). */
  readonly scopeArrays: boolean;
  /** The claim the `audience` option is matched against: `aud`, or Cognito's `client_id`. */
  readonly audienceClaim: 'aud' | 'client_id';
  /** Every marker must hold (JWT access tokens only). */
  readonly markers: readonly AccessTokenMarker[];
  /** `iss` spellings taken for a configured issuer (Google's scheme-less `accounts.google.com`). */
  readonly issuerAliases: Readonly<Record<string, string>>;
}

const NONE: readonly never[] = Object.freeze([]);

function define(name: ProfileName, settings: Partial<Omit<ProviderProfile, 'name'>>): ProviderProfile {
  return Object.freeze({
    name,
    allowGenericJwtTyp: true,
    requiredClaims: ['sub', 'iat', 'jti'],
    clientIdClaims: NONE,
    scopeClaims: ['scope'],
    scopeArrays: true,
    audienceClaim: 'aud',
    markers: NONE,
    issuerAliases: Object.freeze({}),
    explainNoScopes: undefined,
    ...settings,
  });
}

/** Every profile by name. */
export const PROVIDER_PROFILES: Readonly<Record<ProfileName, ProviderProfile>> = Object.freeze({
  // RFC 9068: `typ: at+jwt` is what keeps other JWTs out.
  rfc9068: define('rfc9068', {
    allowGenericJwtTyp: false, requiredClaims: ['sub', 'client_id', 'iat', 'jti'], scopeClaims: ['scope', 'scp'], scopeArrays: false,
  }),
  // Auth0's default token profile: `typ: JWT`, `azp`, no `jti`. `scope` is what this client was
  // granted; RBAC's `permissions` lists every permission of the *user*, whatever the client was
  // granted, so it is no scope. Its ID tokens carry neither `azp` nor `scope`.
  auth0: define('auth0', {
    requiredClaims: ['sub', 'iat'], clientIdClaims: ['azp'], scopeClaims: ['scope'],
    markers: [{ anyOf: ['client_id', 'azp'] }, { anyOf: ['scope', 'permissions'] }],
  }),
  // Okta custom authorization servers: no `typ`, `cid`, `scp` array; ID tokens have neither.
  okta: define('okta', { clientIdClaims: ['cid'], scopeClaims: ['scp'], markers: [{ anyOf: ['cid'] }, { anyOf: ['scp'] }] }),
  // Entra ID v1 (`appid`) and v2 (`azp`) access tokens; ID tokens have neither. No `jti` (Entra
  // uses `uti`). Delegated tokens grant `scp`; their `roles` are the signed-in *user's* app-role
  // assignments, not what the client was consented, so `roles` are scopes only in app-only tokens
  // (no `scp`). An app-only token with no app role assigned carries neither: still an access token.
  entra: define('entra', {
    requiredClaims: ['sub', 'iat', 'tid'], clientIdClaims: ['azp', 'appid'], scopeClaims: ['scp', 'roles'],
    markers: [{ claim: 'ver', cases: { '1.0': ['appid'], '2.0': ['azp'] } }],
    explainNoScopes: (claims) => (claims.scp === undefined && claims.roles === undefined
      ? 'an Entra ID app-only token (no "scp") grants its permissions in "roles", and carries none until an app role of this API '
        + 'is assigned to the client application'
      : undefined),
  }),
  // Cognito: no `aud` in access tokens; `client_id` names the app client; `token_use` tells them apart.
  cognito: define('cognito', {
    requiredClaims: ['sub', 'iat', 'jti', 'client_id'], audienceClaim: 'client_id', markers: [{ claim: 'token_use', equals: 'access' }],
  }),
  // Keycloak: `typ: JWT` header, the `typ` claim is `Bearer` in access tokens and `ID` in ID tokens.
  keycloak: define('keycloak', { clientIdClaims: ['azp'], markers: [{ claim: 'typ', equals: 'Bearer' }] }),
  // Curity: the `purpose` claim is `access_token` in access tokens and `id` in ID tokens. Its
  // access tokens name the client in neither `client_id` nor `azp`: `auth.clientId` stays unset
  // unless a claim of yours is named by `clientIdClaim`.
  curity: define('curity', { markers: [{ claim: 'purpose', equals: 'access_token' }] }),
  // ZITADEL JWT access tokens carry `jti`, its ID tokens none. They carry `client_id` only since
  // late 2024 (zitadel/oidc#650), never `azp` (its ID tokens have one), and no `scope` claim.
  zitadel: define('zitadel', { markers: [{ anyOf: ['jti'] }] }),
  // Duende IdentityServer: `typ: at+jwt` by default, `scope` a JSON array; client-credentials
  // tokens have no `sub`.
  duende: define('duende', { allowGenericJwtTyp: false, requiredClaims: ['client_id', 'iat', 'jti'] }),
  // Ory Hydra JWT access tokens: `typ: JWT`, `client_id`, `scp` array; its ID tokens have neither.
  hydra: define('hydra', {
    requiredClaims: ['sub', 'client_id', 'iat', 'jti'], scopeClaims: ['scp'], markers: [{ anyOf: ['client_id'] }, { anyOf: ['scp'] }],
  }),
  // Google-signed ID tokens used as bearer credentials for an audience of your own (Cloud Run,
  // service-to-service). Google's access tokens are opaque and cannot be verified here.
  google: define('google', {
    requiredClaims: ['sub', 'iat'], clientIdClaims: ['azp'], scopeClaims: NONE,
    issuerAliases: { 'accounts.google.com': 'https://accounts.google.com' },
  }),
});

/** The names of every profile, for messages and validation. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.freeze(Object.keys(PROVIDER_PROFILES) as ProfileName[]);
