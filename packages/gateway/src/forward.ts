import type { GuardError } from '@resource-guard/core';
import { InvalidRequestError, MissingCredentialsError } from '@resource-guard/core';
import { quoteParam } from '@resource-guard/core/adapter';

/**
 * The framework-neutral part of every gateway pattern: what a request looks like to it, the
 * interface each pattern implements, and how a request is rewritten before it is proxied.
 */

/** Header values as Node's `IncomingMessage` keeps them: lower-case names, mutable. */
export type GatewayHeaders = Record<string, string | string[] | undefined>;

/** The parts of an inbound request a gateway pattern reads (and, for headers, rewrites). */
export interface GatewayRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The request's headers, rewritten in place by {@link forwardRequest}. */
  headers: GatewayHeaders;
  /**
   * Node's `rawHeaders`, when there is one: rewritten in place too, so that `protect()` after the
   * gateway (which reads the raw list to see duplicate `Authorization` fields) sees the JWT.
   */
  rawHeaders?: string[];
}

/** One gateway pattern: turns the client's credential into the JWT the APIs behind it verify. */
export interface CredentialExchange {
  /**
   * The JWT to forward for `request`. Rejects with a `GuardError` whose `status` and `headers`
   * (the RFC 6750 challenge) are the answer to send; never with the client's credential in it.
   */
  exchange(request: GatewayRequest): Promise<string>;
  /** Removes the client's credential from the headers (besides `Authorization`, always removed). */
  strip(headers: GatewayHeaders): void;
}

/** A CORS preflight (Fetch standard): `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(request: GatewayRequest): boolean {
  return request.method === 'OPTIONS' && request.headers.origin !== undefined
    && request.headers['access-control-request-method'] !== undefined;
}

/**
 * Rewrites `request.headers` for the APIs behind the gateway: the client's credential, any
 * `Authorization` it sent and every credential cookie of this process's gateway patterns (see
 * {@link registerCredentialCookie}) are removed, and `Authorization: Bearer <jwt>` is set. A CORS preflight
 * carries no credential (browsers never send one) and is passed on unchanged but for the strip:
 * the API behind answers it. Rejects with the rendered `GuardError` of the exchange.
 */
export async function forwardRequest(exchange: CredentialExchange, request: GatewayRequest): Promise<void> {
  if (isPreflight(request)) {
    stripCredentials(exchange, request.headers);
    syncRawHeaders(request);
    return;
  }
  const jwt = await exchange.exchange(request);
  stripCredentials(exchange, request.headers);
  request.headers.authorization = `Bearer ${jwt}`;
  syncRawHeaders(request);
}

function stripCredentials(exchange: CredentialExchange, headers: GatewayHeaders): void {
  delete headers.authorization;
  exchange.strip(headers);
  stripCookies(headers, credentialCookies);
}

/**
 * Names of the cookies that carry a credential of a gateway pattern made in this process (the
 * token handler's session cookie). A browser sends a cookie of the origin to every path, so on a
 * gateway serving several patterns the `/bff` cookie also arrives at `/phantom` and `/split`:
 * every route strips every name here, not only the route's own. Names only, so the set stays
 * as small as the number of distinct cookie names configured.
 */
const credentialCookies = new Set<string>();

/** Records `name` as a credential cookie: no gateway route of this process forwards it. */
export function registerCredentialCookie(name: string): void {
  credentialCookies.add(name);
}

/** Removes the cookies named in `names` from the `Cookie` header; the others pass unchanged. */
export function stripCookies(headers: GatewayHeaders, names: ReadonlySet<string>): void {
  if (headers.cookie === undefined || names.size === 0) return;
  const kept = (Array.isArray(headers.cookie) ? headers.cookie.join('; ') : headers.cookie)
    .split(';').map((pair) => pair.trim())
    .filter((pair) => pair !== '' && !names.has(pair.slice(0, pair.includes('=') ? pair.indexOf('=') : pair.length).trim()));
  if (kept.length === 0) delete headers.cookie;
  else headers.cookie = kept.join('; ');
}

/** The raw list after a rewrite: fields now absent dropped; `Authorization` and `Cookie` as they are now. */
function syncRawHeaders(request: GatewayRequest): void {
  const raw = request.rawHeaders;
  if (raw === undefined) return;
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name !== 'authorization' && name !== 'cookie' && request.headers[name] !== undefined) kept.push(raw[i]!, raw[i + 1]!);
  }
  for (const name of ['authorization', 'cookie']) {
    const value = request.headers[name];
    if (typeof value === 'string') kept.push(name, value);
  }
  raw.splice(0, raw.length, ...kept);
}

/** b64token (RFC 6750 §2.1). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
 * No header, or only another scheme → 401 without `error`; several headers, a malformed value →
 * 400 `invalid_request`. Longer than `maxLength` characters → 400 too: it is not a token we issue.
 */
export function readBearerToken(request: GatewayRequest, realm: string, maxLength: number): string {
  const header = request.headers.authorization;
  if (Array.isArray(header)) {
    throw challenge(new InvalidRequestError('Several Authorization headers', 'ERR_REQUEST_MULTIPLE_AUTHORIZATION'), realm);
  }
  const match = header === undefined ? null : /^Bearer +(\S*) *$/i.exec(header);
  if (match === null) throw challenge(new MissingCredentialsError(), realm);
  const token = match[1]!;
  if (token.length > maxLength || !B64TOKEN.test(token)) {
    throw challenge(new InvalidRequestError('Malformed bearer token', 'ERR_REQUEST_MALFORMED_CREDENTIALS'), realm);
  }
  return token;
}

/** `error` with its RFC 6750 §3 `WWW-Authenticate: Bearer` challenge (401 and 400 only). */
export function challenge<E extends GuardError>(error: E, realm: string): E {
  if (error.status !== 401 && error.status !== 400) return error;
  const params = [`realm=${quoteParam(realm)}`];
  if (error.error !== undefined) params.push(`error=${quoteParam(error.error)}`);
  return error.withHeaders({ 'WWW-Authenticate': `Bearer ${params.join(', ')}` });
}
