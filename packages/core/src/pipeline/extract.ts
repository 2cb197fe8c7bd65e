import { InvalidRequestError, MisconfigurationError } from '../errors/errors.js';
import type { TokenLocation } from '../options/guard-options.js';
import { readHeader, readHeaderValues, type GuardRequest } from '../http/request.js';
import { readRequestTarget } from '../http/request-url.js';

/** The access token found in a request, and how it was sent. */
export interface Credentials {
  token: string;
  /** `DPoP` only for `Authorization: DPoP`; body and query tokens are always Bearer. */
  scheme: 'Bearer' | 'DPoP';
  location: TokenLocation;
}

const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * Finds the access token (RFC 6750 §2, RFC 9449 §7.1). Returns `undefined` when the request
 * carries none (another scheme such as Basic counts as none).
 *
 * - `Authorization`: scheme case-insensitive, one or more spaces, then the token. The `DPoP`
 *   scheme is recognised only when `dpopEnabled`.
 * - form body `access_token`: only when enabled, for `application/x-www-form-urlencoded` bodies on
 *   methods with request-body semantics; read from the body parsed by the framework.
 * - query `access_token`: only when enabled.
 *
 * Two methods at once, two `Authorization` fields, or a repeated `access_token` parameter → 400.
 * A location that is not enabled is ignored, as if it were absent.
 *
 * Deliberately not checked here: the token's `b64token` charset. The pipeline checks it with
 * `checkTokenSyntax` after a verified-token cache lookup, since a hit (the hash of a token that
 * passed every check before) makes the scan redundant.
 */
export function extractCredentials(
  request: GuardRequest,
  locations: ReadonlySet<TokenLocation>,
  dpopEnabled: boolean,
): Credentials | undefined {
  const found: Credentials[] = [];
  if (locations.has('header')) {
    const header = fromHeader(request, dpopEnabled);
    if (header !== undefined) found.push(header);
  }
  if (locations.has('body')) {
    const token = fromBody(request);
    if (token !== undefined) found.push({ token, scheme: 'Bearer', location: 'body' });
  }
  if (locations.has('query')) {
    const token = fromQuery(readRequestTarget(request));
    if (token !== undefined) found.push({ token, scheme: 'Bearer', location: 'query' });
  }
  if (found.length > 1) {
    throw new InvalidRequestError('More than one method was used to send the access token', 'ERR_REQUEST_MULTIPLE_METHODS', {
      detail: `a token in each of: ${found.map((item) => item.location).join(', ')} (RFC 6750 §2: exactly one method)`,
    });
  }
  return found[0];
}

function fromHeader(request: GuardRequest, dpopEnabled: boolean): Credentials | undefined {
  const values = readHeaderValues(request, 'authorization');
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    throw new InvalidRequestError('More than one Authorization header was sent', 'ERR_REQUEST_MULTIPLE_AUTHORIZATION');
  }
  const value = values[0]!.trim();
  // The scheme ends at the first space or tab; only Bearer (and DPoP when on) are ours.
  let end = 0;
  while (end < value.length && value.charCodeAt(end) !== 32 && value.charCodeAt(end) !== 9) end += 1;
  if (end !== 6 && end !== 4) return undefined;
  const scheme = value.slice(0, end).toLowerCase();
  if (scheme !== 'bearer' && !(dpopEnabled && scheme === 'dpop')) return undefined;
  // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token (a tab or nothing after the scheme is malformed).
  let start = end;
  while (start < value.length && value.charCodeAt(start) === 32) start += 1;
  if (start === end || start === value.length) {
    throw new InvalidRequestError('The Authorization header has no token', 'ERR_REQUEST_MALFORMED_CREDENTIALS');
  }
  return { token: value.slice(start), scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', location: 'header' };
}

function fromBody(request: GuardRequest): string | undefined {
  if (BODYLESS_METHODS.has(request.method.toUpperCase())) return undefined;
  const contentType = readHeader(request, 'content-type');
  if (contentType === undefined || contentType.split(';')[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    return undefined;
  }
  const body = request.body;
  if (body === undefined) {
    throw new MisconfigurationError(
      'tokenLocations includes "body" but the form body was not parsed: mount a urlencoded body parser before protect()',
      'ERR_MISCONFIGURED_BODY_PARSER',
    );
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>).access_token;
  if (value === undefined) return undefined;
  const token = checkParameter(Array.isArray(value) ? value : [value]);
  if (!isAsciiForm(body)) {
    throw new InvalidRequestError('A form body carrying the access token must be ASCII', 'ERR_REQUEST_BODY_NOT_ASCII');
  }
  return token;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * RFC 6750 §2.2: "The entity-body MUST consist entirely of ASCII characters." The body arrives
 * parsed by the framework, so this checks every name and value of it: stricter than the raw
 * bytes (a percent-encoded non-ASCII character is refused too), never laxer. Iterative, bounded by
 * the parsed body's size.
 */
function isAsciiForm(body: object): boolean {
  const pending: unknown[] = [body];
  for (let index = 0; index < pending.length; index += 1) {
    const value = pending[index];
    if (typeof value === 'string') {
      if (!ASCII.test(value)) return false;
    } else if (typeof value === 'object' && value !== null) {
      for (const [name, member] of Object.entries(value)) {
        if (!ASCII.test(name)) return false;
        pending.push(member);
      }
    }
  }
  return true;
}

function fromQuery(target: string): string | undefined {
  const queryStart = target.indexOf('?');
  if (queryStart < 0 || !target.includes('access_token', queryStart)) return undefined;
  // URLSearchParams never throws: malformed percent-encodings are kept as they are.
  const values = new URLSearchParams(target.slice(queryStart + 1)).getAll('access_token');
  return values.length === 0 ? undefined : checkParameter(values);
}

function checkParameter(values: unknown[]): string {
  if (values.length > 1) {
    throw new InvalidRequestError('The access_token parameter was sent more than once', 'ERR_REQUEST_MULTIPLE_METHODS');
  }
  const token = values[0];
  if (typeof token !== 'string' || token.length === 0) {
    throw new InvalidRequestError('The access_token parameter is malformed', 'ERR_REQUEST_MALFORMED_CREDENTIALS');
  }
  return token;
}
