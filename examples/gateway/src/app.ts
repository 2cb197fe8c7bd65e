/**
 * Sample API gateway in front of a sample API (examples/express-api or examples/koa-api): one
 * route prefix per pattern, each exchanging the client's credential for a JWT and proxying the
 * request with http-proxy-middleware. The API behind verifies that JWT with `protect()` and
 * trusts nothing else: the gateway adds no identity headers of its own.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { CredentialExchange } from '@resource-guard/gateway';
import type { ErrorResponseOptions } from '@resource-guard/core/adapter';
import { gateway as expressGateway } from '@resource-guard/gateway/express';
import { gateway as koaGateway } from '@resource-guard/gateway/koa';

/** Options of {@link startGateway}. */
export interface GatewayAppOptions {
  framework: 'express' | 'koa';
  /** Base URL of the API behind, e.g. `http://127.0.0.1:3001`. */
  upstream: string;
  /** Route prefix (e.g. `/phantom`) → the pattern that serves it; the prefix is removed upstream. */
  routes: Record<string, CredentialExchange>;
  /** How rejections are rendered and logged (default: JSON, 5xx logged to `console`). */
  errors?: ErrorResponseOptions;
  port?: number;
  host?: string;
}

/** A running gateway. */
export interface RunningGateway {
  readonly url: string;
  close(): Promise<void>;
}

function proxyTo(upstream: string) {
  // changeOrigin: the API sees its own Host; xfwd: it learns the original one (not trusted for auth).
  return createProxyMiddleware({ target: upstream, changeOrigin: true, xfwd: true, proxyTimeout: 10_000 });
}

/** Builds the Express gateway: `app.use(prefix, gateway(exchange), proxy)` per route. */
export function createExpressGateway(options: Pick<GatewayAppOptions, 'upstream' | 'routes' | 'errors'>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const proxy = proxyTo(options.upstream);
  for (const [prefix, exchange] of Object.entries(options.routes)) app.use(prefix, expressGateway(exchange, { errors: options.errors }), proxy);
  return app;
}

/** Builds the Koa gateway: the same routes, the proxy writing the response itself (`ctx.respond = false`). */
export function createKoaGateway(options: Pick<GatewayAppOptions, 'upstream' | 'routes' | 'errors'>): Koa {
  const app = new Koa();
  const proxy = proxyTo(options.upstream);
  for (const [prefix, exchange] of Object.entries(options.routes)) {
    const guard = koaGateway(exchange, { errors: options.errors });
    app.use(async (ctx, next) => {
      const url = ctx.req.url ?? '/';
      if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) return next();
      await guard(ctx, async () => {
        ctx.req.url = url.slice(prefix.length) || '/';
        ctx.respond = false;
        await proxy(ctx.req, ctx.res, (error?: unknown) => {
          if (error !== undefined) ctx.res.writeHead(502).end();
        });
      });
    });
  }
  return app;
}

/** Starts the gateway on `host:port` (default loopback, a free port). */
export async function startGateway(options: GatewayAppOptions): Promise<RunningGateway> {
  const app = options.framework === 'express' ? createExpressGateway(options) : createKoaGateway(options);
  const listener = options.framework === 'express' ? (app as express.Express) : (app as Koa).callback();
  const server = createServer(listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
