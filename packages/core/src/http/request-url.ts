import type { GuardErrorCode } from '../errors/codes.js';
import { InvalidRequestError } from '../errors/errors.js';
import type { GuardRequest } from './request.js';

/**
 * The request URL from its parts, so that the client-controlled `Host` can never move the path
 * or query that a DPoP proof's `htu` or a query token is read from. Every failure is a 400
 * `invalid_request` with a fixed message: request data never reaches an error message, a `cause`
 * or a log line (a `TypeError` from `new URL` would carry the whole URL, query token included).
 */

/**
 * RFC 9110 §7.2 `Host` = uri-host [ ":" port ] (RFC 3986 §3.2.2-3.2.3). Deliberately stricter than
 * RFC 3986's reg-name: letters, digits, `-`, `.`, `_`, `~` only — sub-delims and percent-encoding
 * are valid there but never in a DNS name, and they are what moves a URL's path (`/`, `?`, `#`,
 * `\`, `@`, whitespace are refused by construction). IPv6 literals in brackets; no zone ids.
 */
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** Characters that end or re-split a path in a URL parser, or that it silently drops. */
// eslint-disable-next-line no-control-regex
const TARGET_BREAKERS = /[#\\\x00-\x20\x7f]/;

/** A `.` or `..` path segment, plain or percent-encoded (RFC 3986 §5.2.4 removes them). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

function invalid(message: string, code: GuardErrorCode): never {
  throw new InvalidRequestError(message, code);
}

/** Throws a 400 unless `host` is a valid `host[:port]`; returns it lower-cased. */
export function checkHost(host: string | undefined): string {
  if (host === undefined || host.length > 255 || !HOST.test(host)) invalid('The Host header is invalid', 'ERR_REQUEST_HOST_INVALID');
  const colon = host.lastIndexOf(':');
  if (colon > host.lastIndexOf(']') && Number(host.slice(colon + 1)) > 65_535) invalid('The Host header is invalid', 'ERR_REQUEST_HOST_INVALID');
  return host.toLowerCase();
}

/**
 * Throws a 400 unless `target` is an origin-form request target (RFC 9112 §3.2.1): it starts
 * with `/`, has no fragment, backslash, whitespace or control character, and no `.`/`..` path
 * segment (a URL parser removes those while the framework's router does not, so a proof's `htu`
 * and the route served would name different paths).
 */
export function checkTarget(target: string): string {
  if (target.charCodeAt(0) !== 47 || TARGET_BREAKERS.test(target)) invalid('The request target is invalid', 'ERR_REQUEST_TARGET_INVALID');
  const query = target.indexOf('?');
  if (DOT_SEGMENT.test(query < 0 ? target : target.slice(0, query))) invalid('The request target is invalid', 'ERR_REQUEST_TARGET_INVALID');
  return target;
}

/**
 * The absolute URL `protocol://host` + `target`, each part validated (400 on failure). `protocol`
 * is `http` or `https` (as the framework determined it, honouring its trust-proxy settings).
 */
export function buildRequestUrl(protocol: string, host: string | undefined, target: string): string {
  if (protocol !== 'https' && protocol !== 'http') invalid('The request protocol is invalid', 'ERR_REQUEST_URL_INVALID');
  return `${protocol}://${checkHost(host)}${checkTarget(target)}`;
}

/**
 * The path and query of the request: from `request.target` when the adapter supplied it (then
 * `Host` is never read), otherwise from `request.url` (which must be an absolute URL).
 */
export function readRequestTarget(request: GuardRequest): string {
  if (request.target !== undefined) return checkTarget(request.target);
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    invalid('The request URL is invalid', 'ERR_REQUEST_URL_INVALID');
  }
  return `${url.pathname}${url.search}`;
}
