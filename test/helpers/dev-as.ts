/**
 * Test helpers around the dev authorization server and the real client library (oauth4webapi):
 * start the AS in-process, discover it, and get tokens / introspect / revoke in one call each.
 */
import * as oauth from 'oauth4webapi';
import {
  startAuthorizationServer,
  type DevAuthorizationServer,
  type DevClient,
} from '@resource-guard-tools/dev-authorization-server';

/** The dev AS plus its discovered metadata, ready for oauth4webapi calls. */
export interface DevAs {
  readonly server: DevAuthorizationServer;
  /** RFC 8414 / OIDC discovery result. */
  readonly as: oauth.AuthorizationServer;
  close(): Promise<void>;
}

/** Plain http on loopback: oauth4webapi refuses it unless told otherwise. */
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** Starts the dev AS on a random loopback port and discovers it. */
export async function startDevAs(): Promise<DevAs> {
  const server = await startAuthorizationServer();
  const issuer = new URL(server.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  const as = await oauth.processDiscoveryResponse(issuer, response);
  return { server, as, close: () => server.close() };
}

/** oauth4webapi client metadata for a dev client (`client_secret_basic`). */
export function clientOf(c: DevClient, metadata: Partial<oauth.Client> = {}): oauth.Client {
  return { client_id: c.clientId, token_endpoint_auth_method: 'client_secret_basic', ...metadata };
}

/** Options of {@link getToken}. */
export interface GetTokenOptions {
  scope?: string;
  resource?: string;
  DPoP?: oauth.DPoPHandle;
  headers?: Record<string, string>;
}

/** Client credentials grant through oauth4webapi; throws oauth4webapi's errors on failure. */
export async function getToken(
  dev: DevAs,
  c: DevClient,
  { scope, resource, DPoP, headers }: GetTokenOptions = {},
): Promise<oauth.TokenEndpointResponse> {
  const params = new URLSearchParams();
  if (scope !== undefined) params.set('scope', scope);
  if (resource !== undefined) params.set('resource', resource);
  const client = clientOf(c);
  const auth = oauth.ClientSecretBasic(c.clientSecret);
  const request = () =>
    oauth.clientCredentialsGrantRequest(dev.as, client, auth, params, { DPoP, headers, ...insecure });
  let response = await request();
  try {
    return await oauth.processClientCredentialsResponse(dev.as, client, response);
  } catch (err) {
    // DPoP nonce challenge (not enabled on the dev AS, but harmless to handle): retry once.
    if (DPoP && oauth.isDPoPNonceError(err)) {
      response = await request();
      return oauth.processClientCredentialsResponse(dev.as, client, response);
    }
    throw err;
  }
}

/** Introspects `token` as `c` (default: the resource-server client), plain JSON response. */
export async function introspect(
  dev: DevAs,
  token: string,
  c: DevClient = dev.server.clients.resourceServer,
): Promise<oauth.IntrospectionResponse> {
  const client = clientOf(c);
  const auth = oauth.ClientSecretBasic(c.clientSecret);
  const response = await oauth.introspectionRequest(dev.as, client, auth, token, insecure);
  return oauth.processIntrospectionResponse(dev.as, client, response);
}

/**
 * Introspects `token` as the resource-server client asking for an RFC 9701 JWT response;
 * oauth4webapi checks typ/iss/aud and the signature (against the AS JWKS). Returns the parsed
 * answer and the raw JWT.
 */
export async function introspectJwt(
  dev: DevAs,
  token: string,
): Promise<{ introspection: oauth.IntrospectionResponse; jwt: string; contentType: string | null }> {
  const c = dev.server.clients.resourceServer;
  const client = clientOf(c, { introspection_signed_response_alg: 'ES256' });
  const auth = oauth.ClientSecretBasic(c.clientSecret);
  const response = await oauth.introspectionRequest(dev.as, client, auth, token, insecure);
  const jwt = await response.clone().text();
  const introspection = await oauth.processIntrospectionResponse(dev.as, client, response);
  await oauth.validateApplicationLevelSignature(dev.as, response, insecure);
  return { introspection, jwt, contentType: response.headers.get('content-type') };
}

/** Revokes `token` as its own client `c`. */
export async function revoke(dev: DevAs, c: DevClient, token: string): Promise<void> {
  const client = clientOf(c);
  const response = await oauth.revocationRequest(dev.as, client, oauth.ClientSecretBasic(c.clientSecret), token, insecure);
  await oauth.processRevocationResponse(response);
}

/** Decodes a JWT's header and payload without verifying it (assertions on shape only). */
export function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = jwt.split('.');
  const part = (s: string | undefined): Record<string, unknown> =>
    JSON.parse(Buffer.from(s ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: part(h), payload: part(p) };
}
