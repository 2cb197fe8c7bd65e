import type http from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { AuthContext, Guard } from '@resource-guard/core';
import { readPeerCertificate } from '@resource-guard/core/adapter';
import {
  authorize, rejectionResponse, requireAnyScope, requireClaims, requireScopes, withAuth, type WithAuthSettings,
} from '@resource-guard/fetch';
import type { State } from './apps.js';

/** What `@hono/node-server` passes a fetch handler besides the request. */
type NodeBindings = [{ incoming: http.IncomingMessage }];

/**
 * The shared test routes as plain fetch handlers wrapped by `withAuth`, served by Node through
 * `@hono/node-server`'s request listener (which builds a standard `Request`: repeated header
 * fields joined with ", "). The client certificate is passed along from the TLS socket.
 */
export function fetchApp(guard: Guard, state: State): http.RequestListener {
  const settings: WithAuthSettings<NodeBindings> = {
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
    '/protected': withAuth(guard, reply, settings),
    '/optional': withAuth(guard, reply, { ...settings, optional: true }),
    '/scopes/all': withAuth(guard, reply, { ...settings, require: requireScopes('orders:read', 'orders:write') }),
    '/scopes/any': withAuth(guard, reply, { ...settings, require: requireAnyScope('orders:write', 'admin') }),
    '/claims': withAuth(guard, reply, { ...settings, require: requireClaims({ tenant: 'acme', email_verified: (value) => value === true }) }),
    '/form': withAuth(guard, reply, settings),
    // A requirement checked with no guard and no context: the misuse `withAuth` makes impossible.
    '/misordered': async (request) => {
      try {
        authorize(undefined, requireScopes('orders:read'));
        return reply(request, undefined);
      } catch (error) {
        return rejected(error);
      }
    },
    '/optional/scoped': withAuth(guard, reply, { ...settings, optional: true, require: requireScopes('orders:read') }),
    '/replaced': withAuth(guard, (request, auth) => {
      try {
        authorize({ ...auth, scopes: ['admin'] }, requireScopes('admin'), guard);
        return reply(request, auth);
      } catch (error) {
        return rejected(error);
      }
    }, settings),
  };
  return getRequestListener((request: Request, env: NodeBindings[0]) => {
    const route = routes[new URL(request.url).pathname];
    return route === undefined ? new Response(null, { status: 404 }) : route(request, env);
  }, { overrideGlobalObjects: false });
}
