import type { FastifyPluginCallback, HTTPMethods } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createResourceMetadataEndpoint, type Guard, type ResourceMetadataEndpoint } from '@resource-guard/core/adapter';

// Every method reaches the route, so that the endpoint itself answers 405 with `Allow`.
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Never runs: the route's `onRequest` hook has answered. */
function answered(): void {}

/** Adds the metadata routes of `endpoint` to a Fastify instance. */
export function registerMetadataRoutes(fastify: Parameters<FastifyPluginCallback>[0], endpoint: ResourceMetadataEndpoint): void {
  for (const url of endpoint.paths) {
    fastify.route({
      method: METHODS,
      url,
      exposeHeadRoute: false,
      // Answered before the body is parsed: a POST with any content type is a 405, not a 415.
      async onRequest(request, reply) {
        const { status, headers, body } = await endpoint.respond(request.method);
        return reply.code(status).headers(headers).send(body);
      },
      handler: answered,
    });
  }
}

/**
 * A plugin serving the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource` and, when the resource identifier has a path, at the
 * path-suffixed form (§3.1): `app.register(protectedResourceMetadata(guard))`. Needs no token; GET
 * and HEAD only (405 with `Allow` otherwise); public, cacheable (`resourceMetadata.cacheMaxAge`,
 * default 3600 s) and readable from any origin. For apps that put `protect()` on their routes;
 * with the `resourceGuard` plugin protecting every route, use its `metadata: true` option, which
 * exempts these routes from the guard. The guard must have the `resourceMetadata` option (a
 * `TypeError` otherwise, now). A failure to sign `signed_metadata` goes to Fastify's error handling (500).
 */
export function protectedResourceMetadata(guard: Guard): FastifyPluginCallback {
  const endpoint = createResourceMetadataEndpoint(guard);
  return fastifyPlugin((fastify, _options, done) => {
    registerMetadataRoutes(fastify, endpoint);
    done();
  }, { fastify: '5.x' });
}
