import * as oauth from 'oauth4webapi';
import { InvalidRequestError, UpstreamUnavailableError } from '@resource-guard/core';
import type { OAuthAgentSettings } from './options.js';

/**
 * The agent's calls to the authorization server, all through oauth4webapi: discovery (cached once
 * it succeeded), the authorization URL, the code exchange with PKCE and ID-token validation
 * (claims, `nonce`, and the signature with the issuer's JWKS), the
 * refresh-token grant, revocation (RFC 7009) and the end-session URL (OpenID RP-Initiated Logout).
 */

/** What a login in progress keeps in its cookie. */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
}

/** The tokens of a session: what the agent seals into cookies. */
export interface SessionTokens {
  accessToken: string;
  /**
   * When the access token expires, seconds since the epoch: `expires_in` counted from before the
   * request was sent, so never later than the token's own `exp`; `undefined` when the AS did not say.
   */
  expiresAt: number | undefined;
  refreshToken: string | undefined;
  idToken: string | undefined;
}

/** The authorization server refused a grant (its `error`, e.g. `invalid_grant`); never its description. */
export class GrantRefusedError extends Error {
  constructor(readonly error: string) {
    super(`authorization server refused the grant (${error})`);
  }
}

/** The agent's OAuth client. */
export interface AgentClient {
  authorizationUrl(login: LoginState): Promise<string>;
  exchangeCode(callback: URL, login: LoginState): Promise<SessionTokens>;
  refresh(refreshToken: string): Promise<SessionTokens>;
  revoke(refreshToken: string): Promise<void>;
  /** The end-session URL: `client_id` and `post_logout_redirect_uri`, never `id_token_hint` (the page would see the ID token). */
  endSessionUrl(): Promise<string | undefined>;
}

const unavailable = (cause: unknown) => new UpstreamUnavailableError('Authorization server unavailable', 'ERR_UPSTREAM_UNAVAILABLE', { cause });

/** Builds the client; nothing is fetched before the first call. */
export function createAgentClient(settings: OAuthAgentSettings, clock: () => number): AgentClient {
  const client: oauth.Client = { client_id: settings.clientId };
  const auth = oauth.ClientSecretBasic(settings.clientSecret);
  const http = () => ({
    [oauth.customFetch]: settings.fetch,
    [oauth.allowInsecureRequests]: settings.issuer.protocol === 'http:',
    signal: AbortSignal.timeout(settings.timeout),
  });
  let discovered: Promise<oauth.AuthorizationServer> | undefined;

  function discover(): Promise<oauth.AuthorizationServer> {
    discovered ??= oauth.discoveryRequest(settings.issuer, { algorithm: 'oidc', ...http() })
      .then((response) => oauth.processDiscoveryResponse(settings.issuer, response))
      .catch((error: unknown) => {
        discovered = undefined;
        throw unavailable(error);
      });
    return discovered;
  }

  /** Runs a grant: the AS's refusal becomes a {@link GrantRefusedError}, anything else 503. */
  async function grant(run: (as: oauth.AuthorizationServer) => Promise<oauth.TokenEndpointResponse>): Promise<SessionTokens> {
    const as = await discover();
    const sentAt = Math.floor(clock() / 1000);
    let result: oauth.TokenEndpointResponse;
    try {
      result = await run(as);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.status < 500) throw new GrantRefusedError(error.error);
      if (error instanceof oauth.OperationProcessingError && error.code !== oauth.RESPONSE_IS_NOT_JSON && error.code !== oauth.RESPONSE_IS_NOT_CONFORM) {
        throw new InvalidRequestError('ID token or token response invalid', 'ERR_AGENT_TOKEN_RESPONSE_INVALID', { cause: error });
      }
      throw unavailable(error);
    }
    return {
      accessToken: result.access_token,
      expiresAt: result.expires_in === undefined ? undefined : sentAt + result.expires_in,
      refreshToken: result.refresh_token,
      idToken: result.id_token,
    };
  }

  return {
    async authorizationUrl(login) {
      const as = await discover();
      const url = new URL(as.authorization_endpoint!);
      url.searchParams.set('client_id', settings.clientId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', settings.redirectUri.href);
      url.searchParams.set('scope', settings.scope);
      url.searchParams.set('state', login.state);
      url.searchParams.set('nonce', login.nonce);
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(login.verifier));
      url.searchParams.set('code_challenge_method', 'S256');
      if (settings.resource !== undefined) url.searchParams.set('resource', settings.resource);
      return url.href;
    },
    async exchangeCode(callback, login) {
      const as = await discover();
      let params: URLSearchParams;
      try {
        params = oauth.validateAuthResponse(as, client, callback, login.state);
      } catch (error) {
        if (error instanceof oauth.AuthorizationResponseError) {
          throw new InvalidRequestError('Authorization failed', 'ERR_AGENT_AUTHORIZATION_FAILED', { cause: error });
        }
        throw new InvalidRequestError('Authorization response state mismatch', 'ERR_AGENT_STATE_MISMATCH', { cause: error });
      }
      return grant(async () => {
        const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, settings.redirectUri.href, login.verifier, http());
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: login.nonce, requireIdToken: true });
        // The signature too, with the issuer's keys: also where the token endpoint is not TLS (OIDC Core §3.1.3.7 item 6).
        await oauth.validateApplicationLevelSignature(as, response, http());
        return result;
      });
    },
    refresh(refreshToken) {
      return grant(async (as) => {
        const params = settings.resource === undefined ? undefined : new URLSearchParams({ resource: settings.resource });
        const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, { ...http(), additionalParameters: params });
        const result = await oauth.processRefreshTokenResponse(as, client, response);
        if (result.id_token !== undefined) await oauth.validateApplicationLevelSignature(as, response, http());
        return result;
      });
    },
    async revoke(refreshToken) {
      const as = await discover();
      try {
        const response = await oauth.revocationRequest(as, client, auth, refreshToken, { ...http(), additionalParameters: { token_type_hint: 'refresh_token' } });
        await oauth.processRevocationResponse(response);
      } catch (error) {
        throw unavailable(error);
      }
    },
    async endSessionUrl() {
      const as = await discover();
      if (as.end_session_endpoint === undefined) return undefined;
      const url = new URL(as.end_session_endpoint);
      url.searchParams.set('client_id', settings.clientId);
      if (settings.postLogoutRedirectUri !== undefined) url.searchParams.set('post_logout_redirect_uri', settings.postLogoutRedirectUri);
      return url.href;
    },
  };
}
