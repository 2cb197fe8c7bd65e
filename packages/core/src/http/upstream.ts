import { decodeUtf8 } from '#crypto-backend';
import type { GuardErrorCode } from '../errors/codes.js';
import { quoteValue } from '../errors/detail.js';
import { UpstreamUnavailableError } from '../errors/errors.js';
import { isPlainObject } from '../jws/jose-rules.js';
import { concatBytes } from './read-body.js';
import type { UpstreamOperation, UpstreamOutcome } from '../telemetry/names.js';
import { globalTelemetry, type Telemetry } from '../telemetry/telemetry.js';

/** Largest authorization-server response body read, in bytes (metadata, JWKS, introspection). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** What {@link fetchUpstream} returns: status, content type and the body text. */
export interface UpstreamResponse {
  status: number;
  contentType: string;
  body: string;
  /**
   * The `Cache-Control` response header, `''` when absent: a caller that caches the answer (a
   * gateway's phantom-token cache) may honour its `max-age`. Optional for hand-made responses.
   */
  cacheControl?: string;
  /** The `DPoP-Nonce` response header (RFC 9449 §8), when there is one. */
  dpopNonce?: string;
  /**
   * A redirect that was not followed (a 3xx answer with a `Location`): the target, resolved
   * against the URL asked for. Untrusted text from the server: quote it in details.
   */
  location?: string;
}

/** A request to the authorization server. */
export interface UpstreamRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds before the request is abandoned (503). */
  timeout: number;
  /** Stable error code for failures, e.g. `ERR_JWKS_UNAVAILABLE`. */
  code: GuardErrorCode;
  /** Human name of the upstream for messages, e.g. `JWKS`. */
  what: string;
  /** What the call is for, in metrics and spans (`resource_guard.upstream.operation`). Default `other`. */
  operation?: UpstreamOperation;
  /** Where the call is recorded. Default: the globally registered OpenTelemetry providers. */
  telemetry?: Telemetry;
  /**
   * `'same-origin'`: follow up to {@link MAX_REDIRECTS} redirects of a `GET` to the same origin
   * (scheme, host and port unchanged, so an https URL stays https and a loopback one loopback),
   * all within the one `timeout`. Default `'none'`. See {@link fetchUpstream} for the policy.
   */
  redirects?: 'none' | 'same-origin';
}

/**
 * The most redirects a `GET` with `redirects: 'same-origin'` follows; a further one is refused
 * like any other. Servers that move metadata do it once (a trailing slash, a prefix).
 */
export const MAX_REDIRECTS = 2;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Performs one request to the authorization server. Network errors, timeouts and oversized
 * bodies become a 503 {@link UpstreamUnavailableError}; the caller judges the status.
 *
 * The redirect policy of every authorization-server call, here and nowhere else: a redirect is
 * followed only when the caller asks for `redirects: 'same-origin'` (discovery and JWKS, which
 * are `GET`s of public documents), only for `GET`, only to the same origin, at most
 * {@link MAX_REDIRECTS} times, and the whole chain shares the one timeout; each body is capped
 * alike. Every other redirect is returned as it is, its target in `location`, for the caller to
 * refuse with a detail naming it ({@link describeRedirect}): a `POST` (introspection, token
 * exchange) carries a token or client credentials, which must never follow a `Location`.
 */
export async function fetchUpstream(fetchImpl: typeof fetch, url: URL, request: UpstreamRequest): Promise<UpstreamResponse> {
  // One controller and one timer per call, cleared as soon as the body is read: a timer left to
  // run out (AbortSignal.timeout) would live on for the whole timeout after every call.
  const method = request.method ?? 'GET';
  const telemetry = request.telemetry ?? globalTelemetry;
  const observation = telemetry.startUpstream(request.operation ?? 'other', url, method);
  const end = (outcome: UpstreamOutcome, status?: number) => {
    if (observation !== undefined) telemetry.endUpstream(observation, outcome, status);
  };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), request.timeout);
  try {
    let response: Response;
    let from = url;
    try {
      response = await fetchImpl(url, { method, headers: request.headers, body: request.body, redirect: 'manual', signal: controller.signal });
      for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
        const next = method === 'GET' && request.redirects === 'same-origin' ? redirectTarget(response, from) : undefined;
        if (next === undefined || next.origin !== url.origin) break;
        // The redirect's own body is not read: drop it so the connection can be reused.
        void response.body?.cancel().catch(() => undefined);
        from = next;
        response = await fetchImpl(next, { method, headers: request.headers, redirect: 'manual', signal: controller.signal });
      }
    } catch (cause) {
      const sanitized = sanitizeCause(cause);
      end(failureOutcome(cause, controller));
      throw new UpstreamUnavailableError(`${request.what} request failed`, request.code, { cause: sanitized, detail: describeFailure(request, url, sanitized) });
    }
    let body: string;
    try {
      body = await readLimited(response);
    } catch (cause) {
      const sanitized = sanitizeCause(cause);
      end(controller.signal.aborted ? 'timeout' : 'response_error', response.status);
      throw new UpstreamUnavailableError(`${request.what} response could not be read`, request.code, { cause: sanitized, detail: describeFailure(request, url, sanitized) });
    }
    end(response.status >= 200 && response.status < 300 ? 'success' : 'http_error', response.status);
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body,
      cacheControl: response.headers.get('cache-control') ?? '',
      dpopNonce: response.headers.get('dpop-nonce') ?? undefined,
      location: redirectTarget(response, from)?.href,
    };
  } finally {
    clearTimeout(timer);
  }
}

// The `Location` of a redirect, resolved against the URL asked for; `undefined` for any other answer.
function redirectTarget(response: Response, from: URL): URL | undefined {
  const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
  if (location === null) return undefined;
  try {
    return new URL(location, from);
  } catch {
    return undefined;
  }
}

/**
 * The detail of a redirect the policy of {@link fetchUpstream} did not follow: where it pointed
 * (quoted: server text) and what to configure instead. `undefined` when `response` is no redirect.
 */
export function describeRedirect(response: UpstreamResponse, request: string, advice: string): string | undefined {
  if (response.location === undefined) return undefined;
  return `${request} answered HTTP ${response.status} to ${quoteValue(response.location)}, a redirect the guard does not follow `
    + `(only a GET of metadata or keys, to the same origin, at most ${MAX_REDIRECTS} times); ${advice}`;
}

function failureOutcome(cause: unknown, controller: AbortController): UpstreamOutcome {
  return controller.signal.aborted || (cause instanceof Error && cause.name === 'TimeoutError') ? 'timeout' : 'network_error';
}

/** Reads the `error` member of an OAuth error response (RFC 6749 §5.2), if it has one. */
export function oauthError(response: UpstreamResponse): string | undefined {
  try {
    const value: unknown = JSON.parse(response.body);
    const error = typeof value === 'object' && value !== null ? (value as { error?: unknown }).error : undefined;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a JSON object body, or throws a 503 naming the upstream. */
export function parseJsonObject(response: UpstreamResponse, request: Pick<UpstreamRequest, 'code' | 'what'>): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(response.body);
  } catch {
    throw new UpstreamUnavailableError(`${request.what} response is not JSON`, request.code);
  }
  if (!isPlainObject(value)) {
    throw new UpstreamUnavailableError(`${request.what} response is not a JSON object`, request.code);
  }
  if (exceedsDepth(value, MAX_JSON_DEPTH)) {
    throw new UpstreamUnavailableError(`${request.what} response is nested too deeply`, request.code);
  }
  return value as Record<string, unknown>;
}

/** Deepest nesting of objects and arrays accepted in an authorization-server response. */
export const MAX_JSON_DEPTH = 32;

// Later steps copy answers with recursive algorithms (structuredClone): a body nested thousands
// deep would overflow the stack there. Iterative, linear in the size of the value.
function exceedsDepth(root: object, max: number): boolean {
  const pending: Array<[unknown, number]> = [[root, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (depth > max) return true;
    for (const member of Object.values(value as object) as unknown[]) {
      if (typeof member === 'object' && member !== null) pending.push([member, depth + 1]);
    }
  }
  return false;
}

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_RESPONSE_BYTES) throw new Error('response too large');
  if (response.body === null) return '';
  // A reader loop rather than `for await`: the async iterator of a web stream costs a measurable
  // share of an introspection call; most bodies arrive in one chunk.
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      size += next.value.byteLength;
      if (size > MAX_RESPONSE_BYTES) throw new Error('response too large');
      chunks.push(next.value);
    }
  } finally {
    if (size > MAX_RESPONSE_BYTES) void reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  // JSON and JWS text is UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not turned into U+FFFD.
  const text = decodeUtf8(chunks.length === 1 ? chunks[0]! : concatBytes(chunks, size));
  if (text === undefined) throw new Error('response is not valid UTF-8');
  return text;
}

// The request (method and URL: configuration, never a token, which travels in POST bodies) and the
// system's reason (`ECONNREFUSED`, `ENOTFOUND`, a timeout), so a start-up mistake names its cause.
function describeFailure(request: Pick<UpstreamRequest, 'method'>, url: URL, cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const reason = typeof code === 'string' ? code : cause instanceof Error ? cause.message : 'unknown cause';
  return `${request.method ?? 'GET'} ${url.origin}${url.pathname}: ${reason}`;
}

// A fetch error never carries the token (it is sent in POST bodies only), but keep causes small.
function sanitizeCause(cause: unknown): unknown {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const error = new Error(cause.name === 'TimeoutError' ? 'timed out' : cause.message);
    error.name = cause.name;
    if (inner instanceof Error) (error as { code?: unknown }).code = (inner as { code?: unknown }).code;
    return error;
  }
  return cause;
}
