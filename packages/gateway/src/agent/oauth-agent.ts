import * as oauth from 'oauth4webapi';
import { GuardError, InvalidRequestError } from '@resource-guard/core';
import { challenge, registerCredentialCookie, type GatewayRequest } from '../forward.js';
import { answerCors, checkCsrf, checkOrigin, readSessionCookie } from '../browser-defence.js';
import { readTokenHandlerSettings, type TokenHandlerOptions } from '../token-handler-options.js';
import { decodePayload } from '../options.js';
import { createAgentClient, GrantRefusedError, type LoginState } from './oauth-client.js';
import { readOAuthAgentSettings } from './options.js';
import { createSessionCookies } from './session-cookies.js';

/** A request to the agent: the gateway's view of it, the path below the agent's mount point, the parsed JSON body. */
export interface AgentRequest extends GatewayRequest {
  /** Path relative to where the agent is mounted, without the query: `/login/start`, ... */
  path: string;
  /** Reads the JSON body (`undefined` when there is none); rejects with a `GuardError` for a bad one. Called for `/login/end` only. */
  readBody(): Promise<unknown>;
}

/** The agent's answer; `error` (a `GuardError`) is rendered by the adapter with `status`'s headers and cookies added. */
export interface AgentResponse {
  status: number;
  /** Response headers (CORS, `Cache-Control`). */
  headers: Record<string, string>;
  /** `Set-Cookie` values. */
  cookies: string[];
  /** A JSON value, or `undefined` for no body. */
  body?: unknown;
  /** A refusal to render as the JSON error response (its status and challenge win over `status`). */
  error?: unknown;
}

/** The OAuth agent: {@link OAuthAgent.handle} answers its routes, `undefined` for any other path. */
export interface OAuthAgent {
  handle(request: AgentRequest): Promise<AgentResponse | undefined>;
}

const ROUTES: Readonly<Record<string, string>> = {
  '/login/start': 'POST', '/login/end': 'POST', '/userinfo': 'GET', '/claims': 'GET', '/refresh': 'POST', '/logout': 'POST',
};
/** ID-token claims about the token rather than the user: not part of `/userinfo`. */
const PROTOCOL_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'at_hash', 'c_hash', 's_hash', 'auth_time', 'azp', 'sid', 'jti', 'acr', 'amr']);

const requestInvalid = () => new InvalidRequestError('Invalid agent request', 'ERR_AGENT_REQUEST_INVALID');
const loginCookieInvalid = () => new InvalidRequestError('Login cookie missing, expired or invalid', 'ERR_AGENT_LOGIN_COOKIE_INVALID');

/**
 * The token handler's OAuth agent (Curity's pattern): a confidential OpenID Connect client on the
 * gateway that logs the browser user in and keeps every token in encrypted cookies.
 * - `POST /login/start` → `{ authorizationRequestUrl }`: PKCE S256 (RFC 7636), `state`, `nonce`,
 *   kept in a login cookie that lives `loginLifetime` seconds.
 * - `POST /login/end` `{ pageUrl }`: with an authorization response in `pageUrl`, checks `state`,
 *   exchanges the code (oauth4webapi; ID token validated, `nonce` included) and issues the session
 *   cookies; answers `{ isLoggedIn, handled, csrf }` (also on a plain page load).
 * - `GET /userinfo` (the user's claims of the ID token), `GET /claims` (all of them); both need
 *   a live access-token cookie (401 `ERR_AGENT_SESSION_MISSING` otherwise: refresh, then retry).
 * - `POST /refresh`: the refresh-token grant, a rotated refresh token stored, the session's
 *   cookies renewed for `sessionLifetime`; a refused refresh
 *   clears every cookie and answers 401 `ERR_AGENT_SESSION_EXPIRED`.
 * - `POST /logout`: revokes the refresh token (RFC 7009), clears the cookies, answers
 *   `{ endSessionUrl }` (without `id_token_hint`: the page never sees the ID token).
 * Every route checks the `Origin` (trusted origins only); `/refresh` and `/logout` the CSRF token.
 * `/userinfo` does not call the userinfo endpoint: an access token for an API (RFC 8707) is
 * refused there by many servers, and the ID token was validated at login. Deliberately not kept:
 * server-side session state. Logout cannot recall an access token already issued (a JWT stays
 * valid at the API until its `exp`), and two concurrent refreshes with a rotating refresh token
 * end the session.
 */
export function createOAuthAgent(options: TokenHandlerOptions): OAuthAgent {
  const settings = readTokenHandlerSettings(options);
  const agent = readOAuthAgentSettings(settings.agent);
  const client = createAgentClient(agent, settings.clock);
  const cookies = createSessionCookies(settings, agent);
  const now = () => Math.floor(settings.clock() / 1000);
  // No gateway route of this process forwards the session's cookies, whichever pattern it serves.
  for (const name of Object.values(settings.cookieNames)) registerCredentialCookie(name);
  const sessionMissing = () => challenge(new GuardError('No session', 'ERR_AGENT_SESSION_MISSING', 401, undefined), settings.realm);
  const sessionExpired = () => challenge(new GuardError('Session expired', 'ERR_AGENT_SESSION_EXPIRED', 401, 'invalid_token'), settings.realm);

  async function readLogin(request: AgentRequest): Promise<LoginState> {
    const sealed = await readSessionCookie(request, 'login', settings);
    if (sealed === undefined) throw loginCookieInvalid();
    const login = JSON.parse(sealed) as Partial<LoginState>;
    if (typeof login.state !== 'string' || typeof login.nonce !== 'string' || typeof login.verifier !== 'string') throw loginCookieInvalid();
    return login as LoginState;
  }

  async function endLogin(request: AgentRequest, response: AgentResponse): Promise<void> {
    const pageUrl = (await request.readBody() as { pageUrl?: unknown } | undefined)?.pageUrl;
    if (typeof pageUrl !== 'string' || !URL.canParse(pageUrl)) throw requestInvalid();
    const url = new URL(pageUrl);
    if (!['code', 'state', 'error'].some((name) => url.searchParams.has(name))) {
      const csrf = await readSessionCookie(request, 'csrf', settings);
      const live = csrf !== undefined && (await readSessionCookie(request, 'rt', settings) ?? await readSessionCookie(request, 'at', settings)) !== undefined;
      response.body = live ? { handled: false, isLoggedIn: true, csrf } : { handled: false, isLoggedIn: false };
      return;
    }
    if (url.origin !== agent.redirectUri.origin || url.pathname !== agent.redirectUri.pathname) throw requestInvalid();
    response.cookies.push(cookies.clear('login'));
    const login = await readLogin(request);
    const tokens = await client.exchangeCode(url, login).catch((error: unknown) => {
      throw error instanceof GrantRefusedError ? new InvalidRequestError('Authorization code refused', 'ERR_AGENT_CODE_REJECTED', { cause: error }) : error;
    });
    const csrf = oauth.generateRandomState();
    response.cookies.push(...await cookies.issue(tokens, csrf));
    response.body = { handled: true, isLoggedIn: true, csrf };
  }

  // A live access-token cookie is required too: after logout an old ID-token cookie alone tells nothing.
  async function idTokenClaims(request: AgentRequest): Promise<Record<string, unknown>> {
    const idToken = await readSessionCookie(request, 'id', settings);
    if (idToken === undefined || await readSessionCookie(request, 'at', settings) === undefined) throw sessionMissing();
    return decodePayload(idToken);
  }

  async function refresh(request: AgentRequest, response: AgentResponse): Promise<void> {
    await checkCsrf(request, settings);
    const refreshToken = await readSessionCookie(request, 'rt', settings);
    if (refreshToken === undefined) {
      response.cookies.push(...cookies.clearAll());
      throw sessionMissing();
    }
    try {
      const tokens = await client.refresh(refreshToken);
      // The whole session slides: every cookie is issued again, the refresh token kept when it did not rotate.
      const idToken = tokens.idToken ?? await readSessionCookie(request, 'id', settings);
      const csrf = request.headers[settings.csrfHeader] as string;
      response.cookies.push(...await cookies.issue({ ...tokens, refreshToken: tokens.refreshToken ?? refreshToken, idToken }, csrf));
    } catch (error) {
      if (!(error instanceof GrantRefusedError)) throw error;
      response.cookies.push(...cookies.clearAll());
      throw sessionExpired();
    }
    response.status = 204;
  }

  async function logout(request: AgentRequest, response: AgentResponse): Promise<void> {
    await checkCsrf(request, settings);
    const refreshToken = await readSessionCookie(request, 'rt', settings);
    response.cookies.push(...cookies.clearAll());
    if (refreshToken !== undefined) await client.revoke(refreshToken);
    response.body = { endSessionUrl: await client.endSessionUrl() ?? null };
  }

  return {
    async handle(request) {
      const method = ROUTES[request.path];
      if (method === undefined) return undefined;
      const response: AgentResponse = { status: 200, headers: { 'cache-control': 'no-store' }, cookies: [] };
      try {
        const cors = answerCors(request, settings);
        Object.assign(response.headers, cors.headers);
        if (cors.preflight) return { ...response, status: 204 };
        if (request.method !== method) throw new GuardError('Method not allowed', 'ERR_AGENT_METHOD_NOT_ALLOWED', 405, undefined, { headers: { Allow: method } });
        checkOrigin(request, settings);
        switch (request.path) {
          case '/login/start': {
            const login: LoginState = { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier() };
            const authorizationRequestUrl = await client.authorizationUrl(login);
            response.cookies.push(await cookies.seal('login', JSON.stringify(login), now() + agent.loginLifetime, agent.loginLifetime));
            response.body = { authorizationRequestUrl };
            break;
          }
          case '/login/end': await endLogin(request, response); break;
          case '/userinfo': {
            const claims = await idTokenClaims(request);
            response.body = Object.fromEntries(Object.entries(claims).filter(([name]) => !PROTOCOL_CLAIMS.has(name)));
            break;
          }
          case '/claims': response.body = await idTokenClaims(request); break;
          case '/refresh': await refresh(request, response); break;
          default: await logout(request, response);
        }
      } catch (error) {
        response.error = error;
      }
      return response;
    },
  };
}
