/**
 * The demo's OAuth client: every call to the authorization server and to the APIs goes through
 * oauth4webapi, the real client library. The dev AS is plain http on loopback, which oauth4webapi
 * refuses unless told otherwise ({@link insecure}).
 */
import * as oauth from 'oauth4webapi';
import type { DevClient } from '@resource-guard-tools/dev-authorization-server';

/** Lets oauth4webapi talk plain http to loopback servers. Development only. */
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** Discovers the authorization server at `issuer` (OpenID Connect discovery). */
export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, { algorithm: 'oidc', ...insecure });
  return oauth.processDiscoveryResponse(url, response);
}

/** oauth4webapi client metadata of a dev client (`client_secret_basic`). */
export function clientOf(c: DevClient): oauth.Client {
  return { client_id: c.clientId, token_endpoint_auth_method: 'client_secret_basic' };
}

/** What to ask the token endpoint for. */
export interface TokenRequest {
  scope: string;
  /** RFC 8707 resource indicator: decides JWT or opaque. */
  resource: string;
  /** Ask for a DPoP-bound token (oauth4webapi signs the token-endpoint proof). */
  DPoP?: oauth.DPoPHandle;
  /** Extra headers, e.g. the client certificate header the dev AS reads for mTLS. */
  headers?: Record<string, string>;
}

/** Client credentials grant; throws oauth4webapi's error when the AS refuses. */
export async function requestToken(
  as: oauth.AuthorizationServer,
  c: DevClient,
  { scope, resource, DPoP, headers }: TokenRequest,
): Promise<oauth.TokenEndpointResponse> {
  const client = clientOf(c);
  const parameters = new URLSearchParams({ scope, resource });
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(c.clientSecret), parameters, {
    DPoP,
    headers,
    ...insecure,
  });
  return oauth.processClientCredentialsResponse(as, client, response);
}

/** Revokes `token` at the AS (RFC 7009) as its own client `c`. */
export async function revokeToken(as: oauth.AuthorizationServer, c: DevClient, token: string): Promise<void> {
  const response = await oauth.revocationRequest(as, clientOf(c), oauth.ClientSecretBasic(c.clientSecret), token, insecure);
  await oauth.processRevocationResponse(response);
}

/** An API's answer, as far as the flows care. */
export interface ApiResponse {
  readonly status: number;
  readonly wwwAuthenticate: string | undefined;
  readonly body: string;
}

/** Options of {@link callApi}. */
export interface CallOptions {
  /** The access token; none → a request without credentials. */
  token?: string;
  /** Send the token as `DPoP` with a fresh proof from this handle (default `Bearer`, no proof). */
  DPoP?: oauth.DPoPHandle;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** {@link callApi}'s result: the response and the exact headers that were sent. */
export interface CallResult {
  readonly response: ApiResponse;
  /** Request headers as sent (lower-case names), e.g. to send the very same DPoP proof again. */
  readonly sent: Readonly<Record<string, string>>;
}

async function toApiResponse(response: Response): Promise<ApiResponse> {
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate') ?? undefined,
    body: await response.text(),
  };
}

/**
 * `GET url` with oauth4webapi's `protectedResourceRequest` (which builds the `Authorization`
 * header and, with a DPoP handle, the proof). A challenge in the answer is an observation here,
 * not a failure: oauth4webapi's `WWWAuthenticateChallengeError` is unwrapped to its response.
 */
export async function callApi(url: string, options: CallOptions = {}): Promise<CallResult> {
  if (options.token === undefined) {
    const headers = { ...options.headers };
    return { response: await toApiResponse(await fetch(url, { headers })), sent: headers };
  }
  let sent: Record<string, string> = {};
  const capture = (input: string, init: RequestInit): Promise<Response> => {
    sent = Object.fromEntries(new Headers(init.headers).entries());
    return fetch(input, init);
  };
  let response: Response;
  try {
    response = await oauth.protectedResourceRequest(options.token, 'GET', new URL(url), new Headers(options.headers), null, {
      DPoP: options.DPoP,
      [oauth.customFetch]: capture,
      ...insecure,
    });
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    response = error.response;
  }
  return { response: await toApiResponse(response), sent };
}

/** Sends exactly `headers` again with a plain `GET` (used to replay a captured DPoP proof). */
export async function resend(url: string, headers: Readonly<Record<string, string>>): Promise<ApiResponse> {
  return toApiResponse(await fetch(url, { headers: { ...headers } }));
}

/** A new ES256 key pair for DPoP, and oauth4webapi's handle that signs proofs with it. */
export async function dpopHandle(c: DevClient): Promise<oauth.DPoPHandle> {
  const keyPair = await oauth.generateKeyPair('ES256');
  return oauth.DPoP(clientOf(c), keyPair);
}
