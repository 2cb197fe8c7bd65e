/**
 * The framework-neutral request record the pipeline reads. Adapters build it from their
 * framework's request; nothing else about the framework reaches the core.
 */

/** Header map in Node's shape: lower-case names, repeated fields as arrays or comma-joined. */
export type GuardRequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What `guard.verify()` needs to know about a request.
 *
 * `method`, `url` and `headers` are the **contract**; the rest is filled in by adapters when they
 * have it. Missing optional fields make the matching checks fail closed, never open.
 */
export interface GuardRequest {
  /** HTTP method, upper case as sent (`GET`, `POST`, ...). */
  method: string;
  /**
   * Absolute URL as the client addressed it (`https://api.example.com/orders?x=1`). Adapters build
   * it from the framework's view of protocol and host, which honours their trust-proxy settings,
   * and a validated `Host` (`host[:port]`, else 400 `invalid_request`). Read only for a DPoP
   * proof's `htu` when `dpop.baseUrl` is not set.
   */
  url: string;
  /**
   * The request target as received, in origin-form (`/orders?x=1`, RFC 9112 §3.2.1). Adapters set
   * it; when present, the path and query (DPoP `htu` with `dpop.baseUrl`, query tokens) come from
   * it and never from a URL built with the client's `Host`. Absent: they are read from `url`.
   */
  target?: string;
  /** Request headers, lower-case names (Node's `IncomingMessage#headers`). */
  headers: GuardRequestHeaders;
  /**
   * Node's `rawHeaders` (name, value, name, value, ...). Node keeps only the first of repeated
   * `Authorization` fields in `headers`; this list is how the guard sees the others (RFC 6750 §2).
   */
  rawHeaders?: readonly string[];
  /**
   * The parsed `application/x-www-form-urlencoded` body, when a body parser ran before the guard.
   * Read only when `tokenLocations` includes `'body'`.
   */
  body?: unknown;
  /**
   * The DER bytes of the client's TLS certificate (RFC 8705), when the connection carried one or a
   * trusted proxy forwarded it.
   */
  clientCertificate?: Uint8Array | undefined;
}

/** Every value of a header field, in order, counting repeated fields (reads `rawHeaders` when given). */
export function readHeaderValues(request: GuardRequest, name: string): string[] {
  if (request.rawHeaders !== undefined) {
    const values: string[] = [];
    const raw = request.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const field = raw[i]!;
      if (field.length === name.length && field.toLowerCase() === name) values.push(raw[i + 1]!);
    }
    return values;
  }
  const value = request.headers[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** A single header value, or `undefined` when absent (the first one when repeated). */
export function readHeader(request: GuardRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : value?.[0];
}
