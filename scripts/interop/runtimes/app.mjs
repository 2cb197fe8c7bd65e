/**
 * The API every runtime serves in the runtime interop part: `@resource-guard/fetch` guarding a
 * few routes, written once and started by `bun-server.mjs`, `deno-server.mjs` and
 * `workerd-worker.mjs`. The adapter module is passed in, so that the same app runs on the package
 * as the runtime resolves it (its own export conditions) and on the one-module WebCrypto bundle.
 *
 * Routes, under the resource `config.resource` (`http://127.0.0.1:<port>/api`):
 * - `/.well-known/oauth-protected-resource/api`: RFC 9728 metadata;
 * - `/api/orders`: a token of the dev authorization server (JWT, DPoP-bound, or opaque through
 *   introspection) with `orders:read`;
 * - `/api/admin`: the same guard, scope `admin` (403 for a token without it);
 * - `/api/local`: a token of the driver's local issuer (ES256, RS256, EdDSA keys in its JWKS);
 * - `/backend`: the crypto backend the core loaded here.
 * A rejection carries its `GuardError.code` in `x-guard-code`, for the driver to compare.
 */

/** Both guards and the handler; `adapter` is `@resource-guard/fetch`'s namespace. */
export function createApp(adapter, config) {
  const { createGuard, verify, authorize, requireScopes, rejectionResponse, protectedResourceMetadata, CRYPTO_BACKEND } = adapter;
  const quiet = { logger: { warn() {}, error() {} }, logRejections: false };
  const dev = createGuard({
    issuer: config.devIssuer,
    audience: [config.resource, ...config.devAudiences],
    introspection: config.introspection,
    resourceMetadata: { resource: config.resource, scopesSupported: ['orders:read', 'admin'] },
    ...quiet,
  });
  const local = createGuard({
    issuer: config.localIssuer, jwksUri: config.localJwksUri, audience: config.resource, algorithms: ['ES256', 'RS256', 'EdDSA'], ...quiet,
  });
  const routes = {
    '/api/orders': { guard: dev, requirement: requireScopes('orders:read') },
    '/api/admin': { guard: dev, requirement: requireScopes('admin') },
    '/api/local': { guard: local, requirement: undefined },
  };
  const metadata = protectedResourceMetadata(dev);

  return async function handle(request) {
    const answered = await metadata(request);
    if (answered !== undefined) return answered;
    const { pathname } = new URL(request.url);
    if (pathname === '/backend') return Response.json({ backend: CRYPTO_BACKEND });
    const route = routes[pathname];
    if (route === undefined) return new Response('not found', { status: 404 });
    try {
      const auth = await verify(route.guard, request);
      if (route.requirement !== undefined) authorize(auth, route.requirement, route.guard);
      return Response.json({ subject: auth.subject, scheme: auth.scheme, format: auth.format, backend: CRYPTO_BACKEND });
    } catch (error) {
      const response = rejectionResponse(error);
      const code = typeof error?.code === 'string' ? error.code : 'unexpected';
      response.headers.set('x-guard-code', code);
      return response;
    }
  };
}
