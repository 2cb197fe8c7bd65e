import { encodeUtf8 } from '#crypto-backend';
import { guardInternals } from '../guard-brand.js';
import type { Guard } from '../guard-types.js';
import type { ProtectedResourceMetadata, ResourceMetadataSource } from './resource-metadata.js';

function sourceOf(guard: Guard): ResourceMetadataSource {
  const source = guardInternals(guard).metadata;
  if (source === undefined) {
    throw new TypeError('resource-guard: this guard has no "resourceMetadata" option (RFC 9728 protected resource metadata)');
  }
  return source;
}

/**
 * The RFC 9728 protected resource metadata of `guard` (created with the `resourceMetadata`
 * option; a `TypeError` otherwise). Built from the guard's settings; `signed_metadata` (§2.2) is
 * signed once, on first use, and the same document served after that (a failed signing is
 * retried on the next call). For adapters other than Express and Koa, see
 * `createResourceMetadataEndpoint` in `@resource-guard/core/adapter`.
 */
export function buildProtectedResourceMetadata(guard: Guard): Promise<ProtectedResourceMetadata> {
  const source = sourceOf(guard);
  if (source.document === undefined) {
    const pending = source.build();
    source.document = pending;
    pending.catch(() => {
      if (source.document === pending) source.document = undefined;
    });
  }
  return source.document;
}

/** A framework-neutral answer of the metadata endpoint. */
export interface MetadataResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text; `undefined` for HEAD, 405 and 500. */
  body: string | undefined;
}

/** The metadata endpoint of one guard, for adapters: which paths it serves and what it answers. */
export interface ResourceMetadataEndpoint {
  /** The metadata URL (RFC 9728 §3.1), as put into `resource_metadata="…"`. */
  readonly url: string;
  /** Request paths served: `/.well-known/oauth-protected-resource`, plus the path-suffixed form when `resource` has a path. */
  readonly paths: readonly string[];
  /** Whether a request path (no query) is one of {@link paths}. */
  matches(path: string): boolean;
  /** The answer for `method`: 200 for GET and HEAD, 405 with `Allow` otherwise; never needs a token. */
  respond(method: string): Promise<MetadataResponse>;
}

/**
 * The RFC 9728 metadata endpoint of `guard`: GET and HEAD only (405 with `Allow: GET, HEAD`),
 * `application/json`, `Cache-Control: public, max-age=<cacheMaxAge>` and
 * `Access-Control-Allow-Origin: *` (the document is public, and browser clients discover it).
 * A failure to sign `signed_metadata` is a 500, logged by the host framework; not cached.
 */
export function createResourceMetadataEndpoint(guard: Guard): ResourceMetadataEndpoint {
  const source = sourceOf(guard);
  const path = new URL(source.url).pathname;
  const paths = Object.freeze([...new Set(['/.well-known/oauth-protected-resource', path])]);
  const base = { 'Access-Control-Allow-Origin': '*' };
  return {
    url: source.url,
    paths,
    matches: (requestPath) => paths.includes(requestPath),
    async respond(method) {
      if (method !== 'GET' && method !== 'HEAD') {
        return { status: 405, headers: { ...base, Allow: 'GET, HEAD' }, body: undefined };
      }
      const body = JSON.stringify(await buildProtectedResourceMetadata(guard));
      return {
        status: 200,
        headers: {
          ...base,
          'Content-Type': 'application/json',
          'Content-Length': String(encodeUtf8(body).byteLength),
          'Cache-Control': `public, max-age=${source.settings.cacheMaxAge}`,
        },
        body: method === 'HEAD' ? undefined : body,
      };
    },
  };
}
