/**
 * Tokens as the providers document them (header and claims of an access token and of an ID
 * token), and the layout of each provider's issuer (the form of `iss`, trailing slash included,
 * the discovery document under it, the key-set path), for a locally served mock issuer.
 */
import type { GuardErrorCode, GuardOptions, ProfileName } from '@resource-guard/core';
import type { IssuerLayout } from './issuer.js';

/** One provider's case: where it serves, what it issues, what the guard should make of it. */
export interface ProviderShape {
  profile: ProfileName;
  layout: IssuerLayout;
  /** The API's identifier as that provider puts it in tokens (Cognito: the app client id). */
  audience: string;
  /** Header members besides `alg` and `kid`; `typ: undefined` means no `typ` at all. */
  accessHeader: Record<string, unknown>;
  /** Access-token claims, without `iss`, `iat`, `exp` (added for the issuer and the clock). */
  access: Record<string, unknown>;
  /** How the default profile refuses the access token, and what its `detail` says to fix. */
  defaultCode: GuardErrorCode;
  defaultFix: RegExp;
  idHeader: Record<string, unknown>;
  id: Record<string, unknown>;
  /** How the provider's profile refuses its ID token (`ERR_TOKEN_ID_TOKEN` unless its header gives it away first). */
  idCode: GuardErrorCode;
  /** How its ID token is refused once stripped of what only ID tokens carry (`nonce`, the hashes, `auth_time`): the profile's own check. */
  strippedIdCode: GuardErrorCode;
  /** Options the profile needs besides `issuer` and `audience` (Google: `principals`). */
  options?: Partial<GuardOptions>;
  clientId: string | undefined;
  scopes: string[];
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
// The typ rejection names both ways out: the provider's profile, or the opt-out.
const TYP_FIX = /set the "profile" of your provider, or "allowGenericJwtTyp: true"/;

/** The providers, by profile name. */
export const PROVIDER_SHAPES: ProviderShape[] = [
  {
    // Auth0 default token profile: iss with a trailing slash, `azp`, RBAC `permissions`, no `jti`.
    profile: 'auth0',
    layout: { issuerPath: '/', jwksPath: '/.well-known/jwks.json' },
    audience: 'https://orders.example.com',
    accessHeader: { typ: 'JWT' },
    access: {
      sub: 'auth0|123456', aud: ['https://orders.example.com', 'https://tenant.auth0.example/userinfo'], azp: 'my_client_id',
      scope: 'openid profile read:orders', permissions: ['read:orders', 'write:orders'],
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: { sub: 'auth0|123456', aud: 'my_client_id', name: 'Jane Doe', nonce: 'n-0S6_WzA2Mj', sid: 'abc' },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_NOT_ACCESS_TOKEN',
    clientId: 'my_client_id',
    // `scope` only: RBAC's `permissions` are the user's, not what this client was granted.
    scopes: ['openid', 'profile', 'read:orders'],
  },
  {
    // Okta custom authorization server: no `typ`, `cid`, `scp` array, `jti` "AT.…".
    profile: 'okta',
    layout: { issuerPath: '/oauth2/default', jwksPath: '/oauth2/default/v1/keys' },
    audience: 'api://default',
    accessHeader: { typ: undefined },
    access: {
      ver: 1, jti: 'AT.2x6aRmPqaX-bxq3Q', aud: 'api://default', cid: '0oa1b2c3d4e5', uid: '00u1a2b3c4',
      scp: ['openid', 'orders.read'], auth_time: 1_700_000_000, sub: 'jane@example.com',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: undefined },
    id: {
      ver: 1, sub: '00u1a2b3c4', aud: '0oa1b2c3d4e5', jti: 'ID.4eAWJOCMB3SX8', amr: ['pwd'], idp: '00o1', nonce: 'n1', auth_time: 1_700_000_000,
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_NOT_ACCESS_TOKEN',
    clientId: '0oa1b2c3d4e5',
    scopes: ['openid', 'orders.read'],
  },
  {
    // Microsoft Entra ID v2 (single tenant): `typ: JWT`, aud the API's client id, `azp`, `scp`, no `jti`.
    profile: 'entra',
    layout: { issuerPath: `/${TENANT}/v2.0`, jwksPath: `/${TENANT}/discovery/v2.0/keys` },
    audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
    accessHeader: { typ: 'JWT' },
    access: {
      aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3', nbf: 1_700_000_000, aio: 'AXQAi/8UAAAA', azp: '2a2b2c2d-1111-2222-3333-444455556666',
      azpacr: '0', name: 'Jane Doe', oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474', preferred_username: 'jane@contoso.example', rh: '0.AAAA',
      scp: 'Orders.Read Orders.Write', sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', tid: TENANT, uti: 'fqiBqXLPj0eQa82S', ver: '2.0',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: {
      aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3', nbf: 1_700_000_000, name: 'Jane Doe', nonce: '12345', oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
      preferred_username: 'jane@contoso.example', rh: '0.AAAA', roles: ['Orders.Admin'], sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      tid: TENANT, uti: 'fqiBqXLPj0eQa82S', ver: '2.0',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_NOT_ACCESS_TOKEN',
    clientId: '2a2b2c2d-1111-2222-3333-444455556666',
    scopes: ['Orders.Read', 'Orders.Write'],
  },
  {
    // Amazon Cognito: no `typ`, no `aud`; `client_id` names the app client; `token_use`.
    profile: 'cognito',
    layout: { issuerPath: '/us-east-1_Example', jwksPath: '/us-east-1_Example/.well-known/jwks.json' },
    audience: '1example23456789',
    accessHeader: { typ: undefined },
    access: {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-example', 'cognito:groups': ['admin'], version: 2, client_id: '1example23456789',
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', token_use: 'access', scope: 'openid orders/read', auth_time: 1_700_000_000,
      jti: 'aaaaaaaa-bbbb-cccc-dddd-ffffffffffff', username: 'jane',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: undefined },
    id: {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-example', aud: '1example23456789', 'cognito:username': 'jane', email: 'jane@example.com',
      token_use: 'id', auth_time: 1_700_000_000, jti: 'aaaaaaaa-bbbb-cccc-dddd-000000000000', origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_ID_TOKEN',
    clientId: '1example23456789',
    scopes: ['openid', 'orders/read'],
  },
  {
    // Keycloak: `typ: JWT` header, `typ` claim `Bearer` (ID tokens: `ID`), `azp`, realm path.
    profile: 'keycloak',
    layout: { issuerPath: '/realms/demo', jwksPath: '/realms/demo/protocol/openid-connect/certs' },
    audience: 'orders-api',
    accessHeader: { typ: 'JWT' },
    access: {
      auth_time: 1_700_000_000, jti: 'onrtac:0a1b2c3d', aud: ['orders-api', 'account'], sub: 'f1e2d3c4', typ: 'Bearer', azp: 'web-app',
      sid: 's-1', acr: '1', realm_access: { roles: ['user'] }, scope: 'openid profile orders:read', preferred_username: 'jane',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: {
      auth_time: 1_700_000_000, jti: 'ontrid:0a1b2c3d', aud: 'web-app', sub: 'f1e2d3c4', typ: 'ID', azp: 'web-app', nonce: 'n1', sid: 's-1',
      at_hash: 'x', acr: '1',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_ID_TOKEN',
    clientId: 'web-app',
    scopes: ['openid', 'profile', 'orders:read'],
  },
  {
    // Curity Identity Server: `purpose: access_token` (ID tokens: `id`), token-service path; no
    // `client_id`, no `azp` in access tokens (`aud` is the client by default).
    profile: 'curity',
    layout: { issuerPath: '/oauth/v2/oauth-anonymous', jwksPath: '/oauth/v2/oauth-anonymous/jwks' },
    audience: 'api.example.com',
    accessHeader: { typ: 'JWT' },
    access: {
      jti: '7e4a1b2c-0000-4000-8000-000000000001', delegationId: 'd-1', nbf: 1_700_000_000, scope: 'openid read', sub: 'johndoe',
      aud: 'api.example.com', purpose: 'access_token',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: {
      jti: '7e4a1b2c-0000-4000-8000-000000000002', delegationId: 'd-1', sub: 'johndoe', aud: 'web-client', azp: 'web-client',
      purpose: 'id', at_hash: 'x', auth_time: 1_700_000_000, nonce: 'n1',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_ID_TOKEN',
    clientId: undefined,
    scopes: ['openid', 'read'],
  },
  {
    // ZITADEL JWT access tokens: `jti`, project and client ids in `aud`, `client_id` (since late
    // 2024), never `azp`, no `scope` claim; ID tokens carry no `jti`.
    profile: 'zitadel',
    layout: { jwksPath: '/oauth/v2/keys' },
    audience: '170086574599995649',
    accessHeader: { typ: 'JWT' },
    access: {
      aud: ['170086574599995649', '170086592283181313@orders'], client_id: '170086592283181313@orders', jti: '170087156868661505',
      nbf: 1_700_000_000, sub: '170085849471442689',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: {
      aud: ['170086574599995649', '170086592283181313@orders'], azp: '170086592283181313@orders', amr: ['password'], at_hash: 'x',
      auth_time: 1_700_000_000, sub: '170085849471442689', acr: '',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_NOT_ACCESS_TOKEN',
    clientId: '170086592283181313@orders',
    scopes: [],
  },
  {
    // Duende IdentityServer: `typ: at+jwt`, `scope` as a JSON array, key set under the discovery path.
    profile: 'duende',
    layout: { jwksPath: '/.well-known/openid-configuration/jwks' },
    audience: 'orders-api',
    accessHeader: { typ: 'at+jwt' },
    access: {
      nbf: 1_700_000_000, aud: 'orders-api', scope: ['openid', 'orders.read'], amr: ['pwd'], client_id: 'web', sub: '88421113',
      auth_time: 1_700_000_000, idp: 'local', jti: 'C4A2DD3B6A3D1E1C9E0F', sid: 'S1',
    },
    defaultCode: 'ERR_TOKEN_CLAIM_INVALID',
    defaultFix: /profile "duende"/,
    idHeader: { typ: 'JWT' },
    id: { nbf: 1_700_000_000, aud: 'web', amr: ['pwd'], sub: '88421113', auth_time: 1_700_000_000, idp: 'local', nonce: 'n1', sid: 'S1' },
    idCode: 'ERR_JWT_TYP_INVALID',
    strippedIdCode: 'ERR_JWT_TYP_INVALID',
    clientId: 'web',
    scopes: ['openid', 'orders.read'],
  },
  {
    // Ory Hydra (JWT strategy): iss with a trailing slash, `typ: JWT`, `client_id`, `scp` array, `ext`.
    profile: 'hydra',
    layout: { issuerPath: '/', jwksPath: '/.well-known/jwks.json' },
    audience: 'orders-api',
    accessHeader: { typ: 'JWT' },
    access: {
      aud: ['orders-api'], client_id: 'web', ext: {}, jti: '3f5b1a54-0000-4000-8000-000000000003', nbf: 1_700_000_000,
      scp: ['orders.read', 'offline'], sub: 'foo@bar.example',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: {
      acr: '0', amr: ['pwd'], at_hash: 'x', aud: ['web'], auth_time: 1_700_000_000, jti: '3f5b1a54-0000-4000-8000-000000000004', rat: 1_700_000_000,
      sid: 's1', sub: 'foo@bar.example',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_NOT_ACCESS_TOKEN',
    clientId: 'web',
    scopes: ['orders.read', 'offline'],
  },
  {
    // Google: an ID token minted for a service's own audience (Cloud Run style) is the bearer
    // credential; a sign-in ID token carries the web client's id as `aud` and is refused.
    profile: 'google',
    layout: { jwksPath: '/oauth2/v3/certs' },
    audience: 'https://orders-abc123-uc.a.run.app',
    accessHeader: { typ: 'JWT' },
    access: {
      aud: 'https://orders-abc123-uc.a.run.app', azp: '107517467455664443765', email: 'caller@project.iam.gserviceaccount.com',
      email_verified: true, sub: '107517467455664443765',
    },
    defaultCode: 'ERR_JWT_TYP_INVALID',
    defaultFix: TYP_FIX,
    idHeader: { typ: 'JWT' },
    id: {
      aud: '1234987819200.apps.googleusercontent.com', azp: '1234987819200.apps.googleusercontent.com', sub: '10769150350006150715113082367',
      email: 'jane@example.com', email_verified: true, at_hash: 'x', nonce: 'n1',
    },
    idCode: 'ERR_TOKEN_ID_TOKEN',
    strippedIdCode: 'ERR_TOKEN_AUDIENCE_INVALID',
    clientId: '107517467455664443765',
    scopes: [],
    options: { principals: { email: ['caller@project.iam.gserviceaccount.com'] } },
  },
];
