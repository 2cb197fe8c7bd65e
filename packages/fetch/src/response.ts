import { createErrorResponder, type ErrorResponseBody } from '@resource-guard/core/adapter';

/** The JSON body of a rejection {@link rejectionResponse} renders: the one body every adapter sends. */
export type RejectionBody = ErrorResponseBody;

// The adapters' shared rendering, with its default logging: 5xx once at console.error, 4xx left
// to the guard's `logRejections`.
const render = createErrorResponder();
const INTERNAL: RejectionBody = { error_description: 'The server could not check the credentials' };

/**
 * Renders a rejection as a `Response`: the error's `status` and `headers` (`WWW-Authenticate`,
 * `DPoP-Nonce`, `Retry-After`, ...) as they are, and the JSON {@link RejectionBody} every adapter
 * sends (`error` only when the challenge has one, RFC 6750 §3.1), with `Cache-Control:
 * no-store`. Client errors (4xx) carry the library's fixed message, which never contains the
 * token or a claim; server errors (5xx) a generic sentence, their cause logged once. Anything that
 * is not a guard's rejection becomes a bare 500 with that generic sentence.
 */
export function rejectionResponse(error: unknown): Response {
  const rendered = render(error);
  if (rendered === undefined) {
    return new Response(JSON.stringify(INTERNAL), {
      status: 500, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
  return new Response(rendered.body, { status: rendered.status, headers: rendered.headers });
}
