import { GuardError, type GuardRequest } from '@resource-guard/core';
import { readBoundedBody } from '@resource-guard/core/adapter';

/** What the caller may add to a `Request` that `Request` itself cannot carry. */
export interface FetchRequestOptions {
  /**
   * The DER bytes of the TLS client certificate (RFC 8705), when the runtime exposes the
   * connection (e.g. `@hono/node-server`'s `incoming.socket`). Behind a TLS-terminating proxy,
   * use the guard's `mtls.trustedProxyHeader` instead.
   */
  clientCertificate?: Uint8Array;
  /**
   * The parsed `application/x-www-form-urlencoded` body, if the app already has it. Without it,
   * a guard with `tokenLocations` including `'body'` reads a clone of the request body itself
   * (at most {@link MAX_FORM_BYTES}).
   */
  body?: unknown;
}

/** Largest form body read for an `access_token` parameter: 100 KiB, body-parser's default. */
export const MAX_FORM_BYTES = 100 * 1024;

// A Bearer or DPoP credential is one b64token: it never contains a comma. A comma next to one of
// these schemes can only mean several `Authorization` fields that `Headers` joined with ", ".
const OUR_SCHEME = /^\s*(?:bearer|dpop)(?:[ \t]|$)/i;

/**
 * `Headers` joins repeated fields with ", " (RFC 9110 §5.3), so the guard cannot tell two fields
 * from one. Every comma-containing value is therefore handed over as the fields it may have been
 * made of: the guard refuses two fields where it expects one (`DPoP`, a trusted proxy's
 * certificate header), so a client cannot add a value next to the proxy's. `Authorization` is
 * split only when a part starts with `Bearer` or `DPoP`; other schemes (Basic, Digest with its
 * comma-separated parameters) stay the one value of another scheme they look like.
 */
function fieldValues(name: string, value: string): string | string[] {
  if (!value.includes(',')) return value;
  const parts = value.split(',');
  if (name === 'authorization' && !parts.some((part) => OUR_SCHEME.test(part))) return value;
  return parts.map((part) => part.trim());
}

/** The framework-neutral view of a fetch `Request`: its URL as the runtime built it, its headers as a record. */
export class FetchRequestView implements GuardRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: unknown;
  readonly clientCertificate: Uint8Array | undefined;

  constructor(request: Request, options: FetchRequestOptions | undefined) {
    this.method = request.method;
    this.url = request.url;
    const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    request.headers.forEach((value, name) => {
      headers[name] = fieldValues(name, value);
    });
    this.headers = headers;
    this.body = options?.body;
    this.clientCertificate = options?.clientCertificate;
  }
}

function tooLarge(): GuardError {
  return new GuardError('The form body is too large', 'ERR_REQUEST_BODY_TOO_LARGE', 413, undefined);
}

/**
 * Reads a clone of the request body as a form (repeated names become arrays), so the handler can
 * still read the original. Stops at {@link MAX_FORM_BYTES}: an unauthenticated client must not
 * make the guard buffer more than that.
 */
export async function readFormBody(request: Request): Promise<Record<string, string | string[]>> {
  const bytes = await readBoundedBody(request, MAX_FORM_BYTES, tooLarge) ?? new Uint8Array();
  const form: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(new TextDecoder().decode(bytes))) {
    const previous = form[name];
    form[name] = previous === undefined ? value : [...[previous].flat(), value];
  }
  return form;
}
