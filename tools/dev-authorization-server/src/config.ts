/**
 * The dev authorization server's whole world, in one readable place: scopes, resource servers
 * (RFC 8707 resource indicators) and clients. DEVELOPMENT ONLY: the secrets below are public.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientMetadata, ResourceServer } from 'oidc-provider';

/** Every scope the dev AS knows. Both resource servers accept all of them. */
export const SCOPES = ['orders:read', 'orders:write', 'profile:read', 'admin'] as const;

/** One of {@link SCOPES}. */
export type Scope = (typeof SCOPES)[number];

/** The two resource indicators (RFC 8707). A token's `aud` is exactly one of these. */
export const RESOURCES = {
  /** Gets JWT access tokens (RFC 9068, `typ: at+jwt`, ES256). */
  jwt: 'urn:resource-guard:jwt-api',
  /** Gets opaque access tokens, to be checked with introspection (RFC 7662). */
  opaque: 'urn:resource-guard:opaque-api',
  /** Gets encrypted JWT access tokens: a JWE (ECDH-ES+A256KW, A256GCM) around the signed JWT. */
  encrypted: 'urn:resource-guard:encrypted-api',
  /**
   * Gets split JWT access tokens: the client receives only the signature; header and payload are
   * kept in the split-token store for a gateway to reassemble (see `startAuthorizationServer`).
   */
  split: 'urn:resource-guard:split-api',
  /**
   * The inventory API, reachable only with tokens from token exchange (RFC 8693): the sample APIs
   * exchange their caller's token for one with this audience (see {@link TOKEN_EXCHANGE_POLICY}).
   */
  inventory: 'urn:resource-guard:inventory-api',
} as const;

/**
 * The file of the encrypted resource's private key (a P-256 JWK with `kid` and `alg`) in
 * `fixtures/`: the resource server decrypts with it, the AS encrypts to its public half.
 * DEVELOPMENT ONLY: the key is public.
 */
export const RESOURCE_ENCRYPTION_KEY_FILE = fileURLToPath(new URL('../fixtures/resource-encryption-key.json', import.meta.url));

/** The JWK in {@link RESOURCE_ENCRYPTION_KEY_FILE}. */
export const RESOURCE_ENCRYPTION_KEY: Readonly<JsonWebKey & { kid: string; alg: 'ECDH-ES+A256KW' }> = Object.freeze(
  JSON.parse(readFileSync(RESOURCE_ENCRYPTION_KEY_FILE, 'utf8')) as JsonWebKey & { kid: string; alg: 'ECDH-ES+A256KW' },
);

/** Content encryption of the encrypted resource's tokens. */
export const RESOURCE_ENCRYPTION_ENC = 'A256GCM' as const;

/** Default access-token lifetime, seconds. */
export const ACCESS_TOKEN_TTL = 600;

/**
 * Lifetime of `web-client`'s access tokens, seconds: short, so that the SPA example and its
 * browser test see a silent refresh (the refresh token rotates on every use).
 */
export const WEB_ACCESS_TOKEN_TTL = 8;

/** Lifetime of `short-lived-client`'s tokens, seconds: for the "expired token" flow. */
export const SHORT_LIVED_TTL = 2;

/** JWS algorithm of JWT access tokens and of JWT introspection responses. */
export const SIGNING_ALG = 'ES256';

/**
 * Resource-server settings per resource indicator, as oidc-provider's `getResourceServerInfo`
 * returns them. `scope` is what a token for that resource may carry: requested scopes outside it
 * are dropped from the token.
 */
export const RESOURCE_SERVERS: Readonly<Record<string, ResourceServer>> = {
  [RESOURCES.jwt]: {
    scope: SCOPES.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: ACCESS_TOKEN_TTL,
    jwt: { sign: { alg: SIGNING_ALG } },
  },
  [RESOURCES.opaque]: {
    scope: SCOPES.join(' '),
    accessTokenFormat: 'opaque',
    accessTokenTTL: ACCESS_TOKEN_TTL,
  },
  [RESOURCES.split]: {
    scope: SCOPES.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: ACCESS_TOKEN_TTL,
    jwt: { sign: { alg: SIGNING_ALG } },
  },
  [RESOURCES.encrypted]: {
    scope: SCOPES.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: ACCESS_TOKEN_TTL,
    jwt: {
      sign: { alg: SIGNING_ALG },
      encrypt: {
        alg: RESOURCE_ENCRYPTION_KEY.alg,
        enc: RESOURCE_ENCRYPTION_ENC,
        kid: RESOURCE_ENCRYPTION_KEY.kid,
        key: createPublicKey({ key: RESOURCE_ENCRYPTION_KEY as JsonWebKey, format: 'jwk' }),
      },
    },
  },
};

/**
 * MCP servers (and other resources named by their URL, RFC 8707) running on this machine: any
 * `http://127.0.0.1:<port>/<path>` or `http://localhost:<port>/<path>` gets JWT access tokens
 * with that exact URL as `aud`, so a local MCP server's audience check can be exercised on a
 * random port. DEVELOPMENT ONLY.
 */
export const LOOPBACK_RESOURCE = /^http:\/\/(?:127\.0\.0\.1|localhost):\d{1,5}\/[A-Za-z0-9/_-]*$/;

/** Settings of a {@link LOOPBACK_RESOURCE}: as the JWT resource. */
export const LOOPBACK_RESOURCE_SERVER: ResourceServer = RESOURCE_SERVERS[RESOURCES.jwt]!;

/** The resource-server settings of `resource`, or `undefined` when the dev AS does not know it. */
export function findResourceServer(resource: string): ResourceServer | undefined {
  return RESOURCE_SERVERS[resource] ?? (LOOPBACK_RESOURCE.test(resource) ? LOOPBACK_RESOURCE_SERVER : undefined);
}

/** Used when a token request has no `resource` parameter (so a bare request still gets a JWT). */
export const DEFAULT_RESOURCE = RESOURCES.jwt;

/**
 * Name of the request header the AS reads the client certificate from when the connection is
 * not TLS itself: DEV ONLY, it stands in for a TLS-terminating proxy (nginx's
 * `$ssl_client_escaped_cert`). Anyone who can reach the AS can claim any certificate with it.
 */
export const CLIENT_CERT_HEADER = 'x-ssl-client-cert';

/** A dev client: id, secret and what it is for. */
export interface DevClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly description: string;
}

const client = (clientId: string, description: string): DevClient => ({
  clientId,
  clientSecret: `${clientId}-secret`,
  description,
});

/** The dev clients, by role. Secrets are `<client_id>-secret`. */
export const CLIENTS = {
  /** All scopes, both resources. */
  demo: client('demo-client', 'all scopes, both resources'),
  /** Only `profile:read`: asking for more is `invalid_scope`. */
  limited: client('limited-client', 'only profile:read'),
  /** Tokens live {@link SHORT_LIVED_TTL} seconds: the "expired token" flow. */
  shortLived: client('short-lived-client', `all scopes, tokens live ${SHORT_LIVED_TTL}s`),
  /** Tokens bound to its TLS client certificate (RFC 8705 `cnf.x5t#S256`). */
  mtls: client('mtls-client', `all scopes, certificate-bound tokens (cert via TLS or ${CLIENT_CERT_HEADER})`),
  /**
   * The token handler's OAuth agent: authorization code + PKCE, an ID token, rotating refresh
   * tokens, access tokens for the JWT resource living {@link WEB_ACCESS_TOKEN_TTL} seconds.
   */
  web: client('web-client', `authorization code + PKCE (redirect http://localhost:<any port>/), tokens live ${WEB_ACCESS_TOKEN_TTL}s, rotating refresh tokens`),
  /** No grants: the APIs' identity for introspection (JSON, or RFC 9701 JWT on request). */
  resourceServer: client('resource-server', 'no grants; introspects any token'),
  /** Token exchange only (RFC 8693): the sample orders API calling the inventory API for its caller. */
  ordersApi: client('orders-api', 'token exchange only: JWT/opaque API tokens → inventory tokens'),
} as const satisfies Record<string, DevClient>;

/** Scopes only exchanged tokens carry (not in {@link SCOPES}: no client gets them directly). */
export const EXCHANGE_SCOPES = ['inventory:read', 'inventory:write'] as const;

/** Lifetime of exchanged tokens, seconds (never past the subject token's `exp`). */
export const EXCHANGED_TOKEN_TTL = 300;

/** One client's token-exchange policy: which subject tokens it may exchange, for what. */
export interface TokenExchangePolicy {
  /** The subject token's `aud` must include one of these: the client exchanges only tokens sent to it. */
  readonly subjectAudiences: readonly string[];
  /** The targets (`audience` or `resource`) it may ask for; anything else is `invalid_target`. */
  readonly targets: readonly string[];
  /** The scopes it may ask for (default: all of them); anything else is `invalid_scope`. */
  readonly scopes: readonly string[];
}

/** The audience policy of token exchange, by client id. Clients not listed may not exchange. */
export const TOKEN_EXCHANGE_POLICY: Readonly<Record<string, TokenExchangePolicy>> = {
  [CLIENTS.ordersApi.clientId]: {
    subjectAudiences: [RESOURCES.jwt, RESOURCES.opaque],
    targets: [RESOURCES.inventory],
    scopes: [...EXCHANGE_SCOPES],
  },
};

/** Clients allowed to introspect tokens issued to other clients. */
export const INTROSPECTORS: ReadonlySet<string> = new Set([CLIENTS.resourceServer.clientId]);

const clientCredentials = (c: DevClient, scope: string): ClientMetadata => ({
  client_id: c.clientId,
  client_secret: c.clientSecret,
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope,
});

/** The clients as oidc-provider client metadata (RFC 7591 names). */
export const CLIENT_METADATA: readonly ClientMetadata[] = [
  clientCredentials(CLIENTS.demo, SCOPES.join(' ')),
  clientCredentials(CLIENTS.limited, 'profile:read'),
  clientCredentials(CLIENTS.shortLived, SCOPES.join(' ')),
  {
    ...clientCredentials(CLIENTS.mtls, SCOPES.join(' ')),
    tls_client_certificate_bound_access_tokens: true,
  },
  {
    ...clientCredentials(CLIENTS.ordersApi, ''),
    grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    scope: undefined,
  },
  {
    client_id: CLIENTS.web.clientId,
    client_secret: CLIENTS.web.clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // "native" only so that the port of a loopback redirect URI is ignored (RFC 8252 §7.3):
    // the SPA example and its tests run on random ports. A real web client registers its URIs.
    application_type: 'native',
    redirect_uris: ['http://localhost/', 'http://127.0.0.1/'],
    post_logout_redirect_uris: ['http://localhost/', 'http://127.0.0.1/'],
    scope: `openid ${SCOPES.join(' ')}`,
  },
  {
    ...clientCredentials(CLIENTS.resourceServer, ''),
    grant_types: [],
    scope: undefined,
    // RFC 9701: answer with a signed JWT when asked with Accept: application/token-introspection+jwt.
    introspection_signed_response_alg: SIGNING_ALG,
  },
];
