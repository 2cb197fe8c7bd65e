/**
 * One gateway serving `/phantom`, `/split` and `/bff` on one origin (the layout of the gateway
 * guide), the real dev AS behind it and a recording upstream API: every route strips every
 * credential the gateway knows before forwarding. A browser sends the token handler's cookie to
 * every path of the origin; it is a bearer credential at `/bff`, so no route may pass it on. The
 * opaque token and the split-token signature travel in `Authorization`, which every route replaces.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createPhantomToken, createTokenHandler, encryptTokenCookie, type TokenCookieKey } from '@resource-guard/gateway';
import { getToken } from '../helpers/dev-as.js';
import { FRAMEWORKS, carries, opaqueToken, phantomOptions, splitTokenRoute, useGatewaySuite } from '../helpers/gateway.js';

const key: TokenCookieKey = { kid: 'k1', key: randomBytes(32) };
const ORIGIN = 'https://spa.example';
const COOKIE = '__Host-rg-at';

const suite = useGatewaySuite((as) => ({
  '/phantom': createPhantomToken(phantomOptions(as)),
  '/split': splitTokenRoute(as),
  '/bff': createTokenHandler({ keys: [key], allowedOrigins: [ORIGIN] }),
}));

for (const framework of FRAMEWORKS) {
  test.serial(`${framework}: /phantom, /split and /bff each forward none of the gateway's credentials`, async (t) => {
    const { dev } = suite;
    const setup = suite.setup(framework);
    const jwt = (await getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource: RESOURCES.jwt })).access_token;
    const sessionCookie = await encryptTokenCookie(jwt, [key]);
    const opaque = await opaqueToken(dev);
    const signature = (await getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource: RESOURCES.split })).access_token;
    const cookie = `theme=dark; ${COOKIE}=${sessionCookie}`;
    const call = (path: string, headers: Record<string, string>) => fetch(`${setup.gateway.url}${path}/orders`, { headers: { cookie, ...headers } });

    const before = setup.api.requests.length;
    t.is((await call('/phantom', { authorization: `Bearer ${opaque}` })).status, 200, '/phantom');
    t.is((await call('/split', { authorization: `Bearer ${signature}` })).status, 200, '/split');
    // At /bff the cookie is the credential; an opaque token sent alongside must not pass either.
    t.is((await call('/bff', { authorization: `Bearer ${opaque}` })).status, 200, '/bff');
    const forwarded = setup.api.requests.slice(before);
    t.is(forwarded.length, 3);
    for (const request of forwarded) {
      t.is(request.headers.cookie, 'theme=dark', `${request.url}: other cookies pass, the session cookie does not`);
      t.regex(String(request.headers.authorization), /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, `${request.url}: the JWT the gateway made`);
    }
    t.false(carries(forwarded, sessionCookie), 'the session cookie reached no route upstream');
    t.false(carries(forwarded, opaque), 'the opaque token reached no route upstream');
    t.false(carries([forwarded[0]!, forwarded[2]!], signature), 'the split signature only inside the JWT of /split');
  });
}
