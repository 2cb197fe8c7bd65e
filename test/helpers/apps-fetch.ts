import type http from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AuthContext, Guard } from '@resource-guard/core';
import { readPeerCertificate } from '@resource-guard/core/adapter';
import {
  authorize, exposedAuthHeaders, protectedResourceMetadata, rejectionResponse, requireAnyScope, requireAuthorizationDetails, requireClaims,
  requireScopes, withAuth,
  type WithAuthSettings,
} from '@resource-guard/fetch';
import { PAYMENT_DETAILS, type StartAppOptions, type State } from './apps.js';

/** What `@hono/node-server` passes a fetch handler besides the request. */
type NodeBindings = [{ incoming: http.IncomingMessage }];

/**
 * The shared test routes as plain fetch handlers wrapped by `withAuth`, served by Node through
 * `@hono/node-server`'s request listener (which builds a standard `Request`: repeated header
 * fields joined with ", "). The client certificate is passed along from the TLS socket. The
 * metadata handler answers first when asked; Hono's `cors()` sits in front when asked.
 */
export function fetchApp(guard: Guard, state: State, settings: StartAppOptions): http.RequestListener {
  const metadata = settings.metadata === true ? protectedResourceMetadata(guard) : undefined;
  const bindings: WithAuthSettings<NodeBindings> = {
    clientCertificate: (_request, env) => readPeerCertificate(env.incoming.socket),
    onRejection: (error) => state.errors.push(error),
  };
  const reply = (_request: Request, auth: AuthContext | undefined) => {
    state.handlerCalls += 1;
    return Response.json({ auth: auth ?? null });
  };
  const rejected = (error: unknown) => {
    state.errors.push(error);
    return rejectionResponse(error);
  };
  const routes: Record<string, (request: Request, ...rest: NodeBindings) => Promise<Response>> = {
    '/protected': withAuth<NodeBindings>(guard, reply, bindings),
    '/optional': withAuth<NodeBindings>(guard, reply, { ...bindings, optional: true }),
    '/scopes/all': withAuth<NodeBindings>(guard, reply, { ...bindings, require: requireScopes('orders:read', 'orders:write') }),
    '/scopes/any': withAuth<NodeBindings>(guard, reply, { ...bindings, require: requireAnyScope('orders:write', 'admin') }),
    '/claims': withAuth<NodeBindings>(guard, reply, { ...bindings, require: requireClaims({ tenant: 'acme', email_verified: (value) => value === true }) }),
    '/details': withAuth<NodeBindings>(guard, reply, { ...bindings, require: requireAuthorizationDetails(PAYMENT_DETAILS) }),
    '/form': withAuth<NodeBindings>(guard, reply, bindings),
    // A requirement checked with no guard and no context: the misuse `withAuth` makes impossible.
    '/misordered': async (request) => {
      try {
        authorize(undefined, requireScopes('orders:read'));
        return reply(request, undefined);
      } catch (error) {
        return rejected(error);
      }
    },
    '/optional/scoped': withAuth<NodeBindings>(guard, reply, { ...bindings, optional: true, require: requireScopes('orders:read') }),
    '/replaced': withAuth<NodeBindings>(guard, (request, auth) => {
      try {
        authorize({ ...auth, scopes: ['admin'] }, requireScopes('admin'), guard);
        return reply(request, auth);
      } catch (error) {
        return rejected(error);
      }
    }, bindings),
  };
  const dispatch = async (request: Request, env: NodeBindings[0]): Promise<Response> => {
    const answered = await metadata?.(request);
    if (answered !== undefined) return answered;
    const route = routes[new URL(request.url).pathname];
    return route === undefined ? new Response(null, { status: 404 }) : route(request, env);
  };
  if (settings.corsOrigin === undefined) return getRequestListener(dispatch as Parameters<typeof getRequestListener>[0], { overrideGlobalObjects: false });
  const app = new Hono<{ Bindings: NodeBindings[0] }>();
  app.use(cors({ origin: settings.corsOrigin, exposeHeaders: exposedAuthHeaders() }));
  app.all('*', (c) => dispatch(c.req.raw, c.env));
  return getRequestListener(app.fetch, { overrideGlobalObjects: false });
}
