/**
 * The gateway flows: the example gateway (examples/gateway, http-proxy-middleware) in front of
 * the Express and Koa sample APIs, with the phantom token, the split token and the token handler.
 * The API behind sees only the JWT the gateway forwards (`GET /me` shows `format: jwt`).
 */
import { randomBytes } from 'node:crypto';
import { CLIENTS, RESOURCES, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { startGateway, type RunningGateway } from '@resource-guard-examples/gateway';
import { createPhantomToken, createSplitToken, createTokenHandler, encryptTokenCookie, type TokenCookieKey } from '@resource-guard/gateway';
import { callApi, requestToken, revokeToken } from './client.js';
import type { ApiTarget, Flow, FlowContext } from './flows.js';
import { observe } from './observe.js';

/** The SPA origin the token handler accepts state-changing requests from. */
const SPA_ORIGIN = 'http://127.0.0.1:5173';
const COOKIE = '__Host-rg-at';
/** Cookie-encryption key of this demo run (the login side would share it with the gateway). */
const cookieKeys: TokenCookieKey[] = [{ kid: 'demo', key: randomBytes(32) }];

/** Starts one gateway per API in `apis` (Express and Koa ones), in this process, sharing the AS's split-token store. */
export async function startGateways(as: DevAuthorizationServer, apis: readonly ApiTarget[]): Promise<{ targets: ApiTarget[]; gateways: RunningGateway[] }> {
  const { clientId, clientSecret } = CLIENTS.resourceServer;
  const gateways: RunningGateway[] = [];
  const targets: ApiTarget[] = [];
  for (const api of apis.filter(({ framework }) => framework === 'express' || framework === 'koa')) {
    const gateway = await startGateway({
      framework: api.framework as 'express' | 'koa',
      upstream: api.url,
      routes: {
        '/phantom': createPhantomToken({
          introspection: { endpoint: `${as.issuer}/token/introspection`, clientId, clientSecret },
          verify: { issuer: as.issuer, audience: RESOURCES.opaque },
          allowInsecureRequests: true,
        }),
        '/split': createSplitToken({ store: as.splitTokenStore, verify: { issuer: as.issuer, audience: RESOURCES.split } }),
        '/bff': createTokenHandler({ keys: cookieKeys, allowedOrigins: [SPA_ORIGIN] }),
      },
    });
    gateways.push(gateway);
    targets.push({ framework: `${api.framework} gateway`, url: gateway.url });
  }
  return { targets, gateways };
}

const token = async (context: FlowContext, resource: string): Promise<string> =>
  (await requestToken(context.as, CLIENTS.demo, { scope: 'orders:read', resource })).access_token;

const bearer = (value: string) => ({ token: value, headers: {} });
const viaGateway = { format: 'jwt', scheme: 'Bearer', clientId: CLIENTS.demo.clientId } as const;

/** A base64url string with one character changed in the middle. */
const alter = (value: string): string => {
  const i = Math.floor(value.length / 2);
  return value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
};

async function cookieFor(context: FlowContext): Promise<string> {
  return encryptTokenCookie(await token(context, RESOURCES.jwt), cookieKeys);
}

/** The flows, in the order the demo prints them; run against the gateways from {@link startGateways}. */
export const GATEWAY_FLOWS: readonly Flow[] = [
  {
    id: 'phantom',
    title: 'phantom token: opaque in, JWT upstream',
    expected: { status: 200, auth: viaGateway },
    run: async (context, api) => observe((await callApi(`${api.url}/phantom/me`, bearer(await token(context, RESOURCES.opaque)))).response),
  },
  {
    id: 'phantom-revoked',
    title: 'phantom token, revoked',
    expected: { status: 401, error: 'invalid_token' },
    async run(context, api) {
      const opaque = await token(context, RESOURCES.opaque);
      await revokeToken(context.as, CLIENTS.demo, opaque);
      return observe((await callApi(`${api.url}/phantom/me`, bearer(opaque))).response, 'revoked at the AS first');
    },
  },
  {
    id: 'split',
    title: 'split token: signature in, JWT upstream',
    expected: { status: 200, auth: viaGateway },
    run: async (context, api) => observe((await callApi(`${api.url}/split/me`, bearer(await token(context, RESOURCES.split)))).response),
  },
  {
    id: 'split-altered',
    title: 'split token, altered signature',
    expected: { status: 401, error: 'invalid_token' },
    run: async (context, api) => observe((await callApi(`${api.url}/split/me`, bearer(alter(await token(context, RESOURCES.split))))).response),
  },
  {
    id: 'split-deleted',
    title: 'split token, revoked (entry deleted)',
    expected: { status: 401, error: 'invalid_token' },
    async run(context, api) {
      const signature = await token(context, RESOURCES.split);
      await revokeToken(context.as, CLIENTS.demo, signature);
      return observe((await callApi(`${api.url}/split/me`, bearer(signature))).response, 'revoked at the AS first');
    },
  },
  {
    id: 'cookie',
    title: 'token handler: encrypted cookie in, JWT upstream',
    expected: { status: 200, auth: viaGateway },
    run: async (context, api) => observe((await callApi(`${api.url}/bff/me`, { headers: { cookie: `${COOKIE}=${await cookieFor(context)}` } })).response),
  },
  {
    id: 'cookie-no-csrf',
    title: 'token handler: POST without the CSRF header',
    expected: { status: 403 },
    async run(context, api) {
      const response = await fetch(`${api.url}/bff/orders`, { method: 'POST', headers: { cookie: `${COOKIE}=${await cookieFor(context)}`, origin: SPA_ORIGIN } });
      return observe({ status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') ?? undefined, body: await response.text() });
    },
  },
  {
    id: 'cookie-tampered',
    title: 'token handler: tampered cookie',
    expected: { status: 401, error: 'invalid_token' },
    run: async (context, api) => observe((await callApi(`${api.url}/bff/me`, { headers: { cookie: `${COOKIE}=${alter(await cookieFor(context))}` } })).response),
  },
];
