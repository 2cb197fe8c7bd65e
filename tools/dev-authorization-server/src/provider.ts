import { randomBytes } from 'node:crypto';

import Provider, { errors, type Configuration } from 'oidc-provider';

import {
  CLIENT_METADATA,
  DEFAULT_RESOURCE,
  INTROSPECTORS,
  findResourceServer,
  SCOPES,
  SHORT_LIVED_TTL,
  CLIENTS,
  ACCESS_TOKEN_TTL,
  WEB_ACCESS_TOKEN_TTL,
} from './config.js';
import { INTERACTION_PATH } from './interactions.js';
import { generateSigningKeys, type SigningJwk } from './keys.js';
import { getClientCertificate } from './mtls.js';

/**
 * The oidc-provider configuration of the dev AS: client credentials only, RFC 8707 resource
 * indicators, introspection (+ RFC 9701 JWT responses), revocation, DPoP and RFC 8705
 * certificate-bound tokens; for `web-client` only, the authorization-code flow (PKCE required,
 * sign-in pages in `interactions.ts`, refresh tokens rotated on every use).
 */
export function providerConfiguration(keys: readonly SigningJwk[] = generateSigningKeys()): Configuration {
  return {
    clients: [...CLIENT_METADATA],
    jwks: { keys: [...keys] } as Configuration['jwks'],
    scopes: [...SCOPES],
    // The first key whose alg matches signs; ES256 is listed first and is the default everywhere.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}${interaction.uid}` },
    // The ID token carries the user's claims (oidc-provider puts them in userinfo only, by default).
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, name: sub.charAt(0).toUpperCase() + sub.slice(1) }) }),
    claims: { openid: ['sub', 'name'] },
    pkce: { required: () => true },
    issueRefreshToken: (_ctx, client) => client.clientId === CLIENTS.web.clientId,
    rotateRefreshToken: true,
    ttl: {
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      IdToken: 600,
      RefreshToken: 3600,
      AccessToken: (_ctx, token, client) =>
        client.clientId === CLIENTS.web.clientId ? WEB_ACCESS_TOKEN_TTL : (token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL),
      ClientCredentials: (_ctx, token, client) =>
        client.clientId === CLIENTS.shortLived.clientId
          ? SHORT_LIVED_TTL
          : (token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL),
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter: the JWT API. Several candidates: refuse (invalid_target).
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? DEFAULT_RESOURCE,
        getResourceServerInfo: (_ctx, resource) => {
          const info = findResourceServer(resource);
          if (!info) throw new errors.InvalidTarget(`unknown resource indicator: ${resource}`);
          return info;
        },
        useGrantedResource: () => true,
      },
      introspection: {
        enabled: true,
        // A client may introspect its own tokens; the designated resource server(s) any token.
        allowedPolicy: (_ctx, caller, token) =>
          caller.clientId === token.clientId || INTROSPECTORS.has(caller.clientId),
      },
      jwtIntrospection: { enabled: true },
      revocation: {
        enabled: true,
        // Only a token's own client may revoke it; anything else is a silent no-op (RFC 7009 200).
        allowedPolicy: (_ctx, caller, token) => caller.clientId === token.clientId,
      },
      dPoP: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx) => getClientCertificate(ctx.req),
      },
    },
  };
}

/** Creates the oidc-provider instance for `issuer` (e.g. `http://127.0.0.1:9000`), signing with `keys` (default: fresh ones). */
export function createProvider(issuer: string, keys?: readonly SigningJwk[]): Provider {
  return new Provider(issuer, providerConfiguration(keys));
}
