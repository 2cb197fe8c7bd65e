/**
 * The Hono apps under test, served by `@hono/node-server`'s request listener: the same JSON route
 * as the other frameworks' apps, every rejection answered with its status and headers, no body.
 * resource-guard runs through the fetch adapter's Hono middleware (`@resource-guard/fetch/hono`);
 * the peer is Hono's own `hono/jwk`.
 */
import type http from 'node:http';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { jwk } from 'hono/jwk';
import { getRequestListener } from '@hono/node-server';
import { protect, type AuthEnv } from '@resource-guard/fetch/hono';
import { guardOptions, guarded } from './apps.js';
import { SUBJECT, type AppConfig } from './config.js';

type Env = AuthEnv & { Variables: { jwtPayload?: { sub?: unknown } } };

export async function buildHonoApp(config: AppConfig): Promise<http.RequestListener> {
  const app = new Hono<Env>();
  let subject: (c: Context<Env>) => unknown = () => SUBJECT;
  switch (config.kind) {
    case 'bare':
      break;
    case 'noop':
      app.use(async (_c, next) => next());
      break;
    case 'hono-jwk': {
      // hono/jwk fetches `jwks_uri` on every request (it keeps no cache): the key set is fetched
      // once here and handed over as `keys`, its documented alternative.
      const { keys } = await (await fetch(config.jwksUri)).json() as { keys: Array<Record<string, unknown>> };
      app.use(jwk({
        keys: keys as never,
        alg: [config.alg as 'ES256'],
        verification: { iss: config.issuer, aud: config.audience },
      }));
      subject = (c) => c.var.jwtPayload?.sub;
      break;
    }
    default:
      if (!config.kind.startsWith('resource-guard')) throw new Error(`${config.kind} has no Hono app`);
      app.use(guarded(() => protect(guardOptions(config)), config));
      subject = (c) => c.var.auth?.subject;
  }
  app.get(config.path ?? '/', (c) => c.json({ sub: subject(c) }));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const response = error.getResponse();
      return c.body(null, response.status as 401, Object.fromEntries(response.headers));
    }
    return c.body(null, 500);
  });
  return getRequestListener(app.fetch) as unknown as http.RequestListener;
}
