import { assertNonEmptyString, parseServerUrl } from '@resource-guard/core/adapter';
import { readFunction, readNumber, readOptions, readString } from '../options.js';

/** The OAuth client of the token handler's agent (`tokenHandler.agent`). */
export interface OAuthAgentOptions {
  /** Issuer identifier of the authorization server (OpenID Connect Discovery 1.0 is used). */
  issuer: string;
  /** The agent's client id: a confidential client with the authorization-code and refresh-token grants. */
  clientId: string;
  /** The client secret (`client_secret_basic`, RFC 6749 §2.3.1). */
  clientSecret: string;
  /** The SPA's redirect URI registered at the authorization server (absolute). */
  redirectUri: string;
  /** Where the end-session endpoint sends the browser after logout (OpenID RP-Initiated Logout). Default none. */
  postLogoutRedirectUri?: string;
  /** Requested scope; must contain `openid` (the ID token is required and validated). Default `openid`. */
  scope?: string;
  /** RFC 8707 resource indicator of the API the access token is for. Default none. */
  resource?: string;
  /** Lifetime of the login cookie (between login start and end), seconds. Default 300. */
  loginLifetime?: number;
  /** Lifetime of the refresh-token, ID-token and CSRF cookies (the session), seconds from the last login or refresh. Default 28800 (8 h). */
  sessionLifetime?: number;
  /** Allow plain `http` for the authorization server off loopback (never in production). Default false. */
  allowInsecureRequests?: boolean;
  /** `fetch` for every call to the authorization server. Default global `fetch`. */
  fetch?: typeof fetch;
  /** Time limit of each call to the authorization server, milliseconds. Default 5000. */
  timeout?: number;
}

/** {@link OAuthAgentOptions}, validated. */
export interface OAuthAgentSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  redirectUri: URL;
  postLogoutRedirectUri: string | undefined;
  scope: string;
  resource: string | undefined;
  loginLifetime: number;
  sessionLifetime: number;
  allowInsecureRequests: boolean;
  fetch: typeof fetch;
  timeout: number;
}

const KNOWN = [
  'issuer', 'clientId', 'clientSecret', 'redirectUri', 'postLogoutRedirectUri', 'scope', 'resource', 'loginLifetime',
  'sessionLifetime', 'allowInsecureRequests', 'fetch', 'timeout',
] as const satisfies ReadonlyArray<keyof OAuthAgentOptions>;

function required(value: unknown, name: string): string {
  assertNonEmptyString(value, name);
  return value;
}

function readUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new TypeError(`resource-guard: "${name}" must be an absolute URL`);
  return new URL(value);
}

/** Validates `tokenHandler.agent`; every bad value throws a `TypeError` naming the option. */
export function readOAuthAgentSettings(value: unknown): OAuthAgentSettings {
  const raw = readOptions(value, KNOWN, 'tokenHandler.agent');
  if (raw.allowInsecureRequests !== undefined && typeof raw.allowInsecureRequests !== 'boolean') {
    throw new TypeError('resource-guard: "tokenHandler.agent.allowInsecureRequests" must be a boolean');
  }
  const allowInsecureRequests = raw.allowInsecureRequests === true;
  const scope = readString(raw.scope, 'tokenHandler.agent.scope', 'openid');
  if (!scope.split(' ').includes('openid')) throw new TypeError('resource-guard: "tokenHandler.agent.scope" must contain openid');
  const postLogout = raw.postLogoutRedirectUri === undefined ? undefined : readUrl(raw.postLogoutRedirectUri, 'tokenHandler.agent.postLogoutRedirectUri').href;
  return {
    issuer: parseServerUrl(raw.issuer, 'tokenHandler.agent.issuer', allowInsecureRequests),
    clientId: required(raw.clientId, 'tokenHandler.agent.clientId'),
    clientSecret: required(raw.clientSecret, 'tokenHandler.agent.clientSecret'),
    redirectUri: readUrl(raw.redirectUri, 'tokenHandler.agent.redirectUri'),
    postLogoutRedirectUri: postLogout,
    scope,
    resource: raw.resource === undefined ? undefined : required(raw.resource, 'tokenHandler.agent.resource'),
    loginLifetime: readNumber(raw.loginLifetime, 'tokenHandler.agent.loginLifetime', 300, 1),
    sessionLifetime: readNumber(raw.sessionLifetime, 'tokenHandler.agent.sessionLifetime', 28_800, 1),
    allowInsecureRequests,
    fetch: readFunction(raw.fetch, 'tokenHandler.agent.fetch', globalThis.fetch),
    timeout: readNumber(raw.timeout, 'tokenHandler.agent.timeout', 5000, 1),
  };
}
