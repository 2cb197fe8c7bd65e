import { isGuardError } from '@resource-guard/core';

/** The JSON body of a rejection {@link rejectionResponse} renders. */
export interface RejectionBody {
  /** The RFC error value (`invalid_token`, `insufficient_scope`, ...), when the rejection has one. */
  error?: string;
  /** The library's fixed message for a client error; the status text for a server error. */
  message: string;
}

const INTERNAL = 'Internal Server Error';
const SERVER_MESSAGES: Readonly<Record<number, string>> = { 500: INTERNAL, 503: 'Service Unavailable' };

/**
 * Renders a rejection as a `Response`: the error's `status` and `headers` (`WWW-Authenticate`,
 * `DPoP-Nonce`, `Retry-After`, ...) as they are, and a small JSON {@link RejectionBody}, with
 * `Cache-Control: no-store`. Client errors (4xx) carry the library's fixed message, which never
 * contains the token or a claim; server errors (5xx) only their status text. Anything that is not
 * a guard's rejection becomes a bare 500.
 */
export function rejectionResponse(error: unknown): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (!isGuardError(error)) {
    return new Response(JSON.stringify({ message: INTERNAL } satisfies RejectionBody), { status: 500, headers });
  }
  for (const name of Object.keys(error.headers)) headers.set(name, error.headers[name]!);
  const body: RejectionBody = error.status < 500
    ? { ...(error.error === undefined ? {} : { error: error.error }), message: error.message }
    : { message: SERVER_MESSAGES[error.status] ?? INTERNAL };
  return new Response(JSON.stringify(body), { status: error.status, headers });
}
