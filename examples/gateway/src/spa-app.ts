/**
 * The token handler, whole: a plain HTML + JavaScript SPA (`spa/`), the OAuth agent that logs the
 * user in (`/oauth-agent/*`) and the proxy in front of a sample API (`/api/*`), served from one
 * origin by Express or Koa. The agent and the proxy are built from one configuration object, so
 * they share the cookie keys, the cookie names and the trusted origin.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { createOAuthAgent, createTokenHandler, type TokenCookieKey, type TokenHandlerOptions } from '@resource-guard/gateway';
import { gateway as expressGateway, oauthAgent as expressAgent } from '@resource-guard/gateway/express';
import { gateway as koaGateway, oauthAgent as koaAgent } from '@resource-guard/gateway/koa';

/** Options of {@link startSpaGateway}. */
export interface SpaGatewayOptions {
  framework: 'express' | 'koa';
  /** The authorization server's issuer (the dev AS). */
  issuer: string;
  /** The OAuth agent's client (the dev AS's `web-client`). */
  clientId: string;
  clientSecret: string;
  /** Requested scope (with `openid`). */
  scope: string;
  /** RFC 8707 resource indicator of the sample API. */
  resource: string;
  /** Base URL of the sample API behind `/api`. */
  upstream: string;
  /** Cookie keys (default: one fresh key). */
  keys: TokenCookieKey[];
  /** Port (default: a free one) and listening address (default 127.0.0.1). */
  port?: number;
  host?: string;
  /** Host name of the SPA's origin in the browser. Default `localhost` (a secure context for `Secure` cookies over http). */
  publicHost?: string;
}

/** A running SPA gateway. */
export interface RunningSpaGateway {
  /** The SPA's origin, e.g. `http://localhost:5173`: open it in a browser. */
  readonly url: string;
  close(): Promise<void>;
}

const asset = (name: string) => readFileSync(new URL(`../spa/${name}`, import.meta.url));
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  // No inline script, no third-party origin; no Referer leaves the page (the callback URL holds the code).
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** Answers the SPA's two files; `false` for any other path. */
function serveSpa(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' || (path !== '/' && path !== '/spa.js')) return false;
  const type = path === '/' ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8';
  res.writeHead(200, { ...PAGE_HEADERS, 'content-type': type }).end(asset(path === '/' ? 'index.html' : 'spa.js'));
  return true;
}

/** The one configuration object of agent and proxy. */
export function spaTokenHandlerOptions(options: SpaGatewayOptions, origin: string): TokenHandlerOptions {
  return {
    keys: options.keys,
    allowedOrigins: [origin],
    agent: {
      issuer: options.issuer,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: `${origin}/`,
      postLogoutRedirectUri: `${origin}/`,
      scope: options.scope,
      resource: options.resource,
    },
  };
}

function createListener(options: SpaGatewayOptions, config: TokenHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const agent = createOAuthAgent(config);
  const proxyHandler = createTokenHandler(config);
  const proxy = createProxyMiddleware({ target: options.upstream, changeOrigin: true, proxyTimeout: 10_000 });
  if (options.framework === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.use((req, res, next) => (serveSpa(req, res) ? undefined : next()));
    app.use('/oauth-agent', expressAgent(agent));
    app.use('/api', expressGateway(proxyHandler), proxy);
    return app;
  }
  const app = new Koa();
  const guard = koaGateway(proxyHandler);
  app.use(async (ctx, next) => {
    if (serveSpa(ctx.req, ctx.res)) {
      ctx.respond = false;
      return;
    }
    await next();
  });
  app.use(koaAgent(agent, { prefix: '/oauth-agent' }));
  app.use(async (ctx, next) => {
    const url = ctx.req.url ?? '/';
    if (!url.startsWith('/api/')) return next();
    await guard(ctx, async () => {
      ctx.req.url = url.slice('/api'.length);
      ctx.respond = false;
      await proxy(ctx.req, ctx.res, () => ctx.res.writeHead(502).end());
    });
  });
  return app.callback();
}

/**
 * Starts the SPA, the agent and the proxy on one origin, `http://<publicHost>:<port>`. The
 * server listens before the configuration is built: the redirect URI needs the actual port.
 */
export async function startSpaGateway(options: SpaGatewayOptions): Promise<RunningSpaGateway> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const origin = `http://${options.publicHost ?? 'localhost'}:${(server.address() as AddressInfo).port}`;
  server.on('request', createListener(options, spaTokenHandlerOptions(options, origin)));
  return {
    url: origin,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
