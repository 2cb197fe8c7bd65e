import { createResourceMetadataEndpoint, type Guard } from '@resource-guard/core/adapter';
import { rejectionResponse } from './response.js';

/** What {@link protectedResourceMetadata} returns: a `Response` for a metadata path, `undefined` for any other request. */
export type MetadataHandler = (request: Request) => Promise<Response | undefined>;

/**
 * Serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource` and, when the resource identifier has a path, at the
 * path-suffixed form (§3.1): the handler answers those paths and resolves `undefined` for every
 * other request, to pass it on (`return (await metadata(request)) ?? app(request)`). Needs no
 * token; GET and HEAD only (405 with `Allow` otherwise); public, cacheable
 * (`resourceMetadata.cacheMaxAge`, default 3600 s) and readable from any origin. The guard must
 * have the `resourceMetadata` option (a `TypeError` otherwise, now). A failure to sign
 * `signed_metadata` is a bare 500, never an exception.
 */
export function protectedResourceMetadata(guard: Guard): MetadataHandler {
  const endpoint = createResourceMetadataEndpoint(guard);
  return async function protectedResourceMetadataHandler(request) {
    if (!endpoint.matches(new URL(request.url).pathname)) return undefined;
    try {
      const { status, headers, body } = await endpoint.respond(request.method);
      return new Response(body ?? null, { status, headers });
    } catch (error) {
      return rejectionResponse(error);
    }
  };
}
