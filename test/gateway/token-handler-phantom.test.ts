/**
 * The token handler with the phantom token: the agent obtains an opaque access token, the proxy
 * forwards it from the cookie, and a phantom-token gateway on the next hop (here the same Express
 * app) introspects it for the JWT the API verifies. The browser holds a cookie, the gateway an
 * opaque token, only the API sees claims.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createOAuthAgent, createPhantomToken, createTokenHandler, type TokenHandlerOptions } from '@resource-guard/gateway';
import { gateway } from '@resource-guard/gateway/express';
import { protect } from '@resource-guard/express';
import { startDevAs, type DevAs } from '../helpers/dev-as.js';
import { CookieJar, authorizeAtDevAs, callAgent } from '../helpers/token-handler.js';

const ORIGIN = 'http://localhost:5173';
let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(() => dev?.close());

test('cookie → opaque token → introspected JWT: the API behind verifies a JWT for the user', async (t) => {
  const options: TokenHandlerOptions = {
    keys: [{ kid: 'k', key: randomBytes(32) }],
    allowedOrigins: [ORIGIN],
    agent: {
      issuer: dev.server.issuer, clientId: CLIENTS.web.clientId, clientSecret: CLIENTS.web.clientSecret,
      redirectUri: `${ORIGIN}/`, scope: 'openid orders:read', resource: RESOURCES.opaque,
    },
  };
  const agent = createOAuthAgent(options);
  const jar = new CookieJar();
  const started = await callAgent(agent, jar, '/login/start');
  const callback = await authorizeAtDevAs((started.body as { authorizationRequestUrl: string }).authorizationRequestUrl);
  t.is((await callAgent(agent, jar, '/login/end', { body: { pageUrl: callback } })).status, 200);

  const { clientId, clientSecret } = CLIENTS.resourceServer;
  const app = express();
  app.use('/api',
    gateway(createTokenHandler(options)),
    gateway(createPhantomToken({
      introspection: { endpoint: `${dev.server.issuer}/token/introspection`, clientId, clientSecret },
      verify: { issuer: dev.server.issuer, audience: RESOURCES.opaque },
      allowInsecureRequests: true,
    })),
    protect({ issuer: dev.server.issuer, audience: RESOURCES.opaque }),
    (req, res) => {
      res.json({ subject: req.auth?.subject, format: req.auth?.format, cookie: req.headers.cookie ?? null });
    });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/orders`, { headers: { cookie: jar.header() } });
  t.is(response.status, 200);
  t.deepEqual(await response.json(), { subject: 'alice', format: 'jwt', cookie: null });
  t.is(dev.server.introspectionRequests, 1);
});
