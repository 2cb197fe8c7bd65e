/**
 * Request-level hardening on every adapter: the request URL (a hostile `Host` can never choose
 * the path a DPoP proof's `htu` or a query token is read from), parse failures of request data as
 * 400s that carry no request data, RFC 6750 §2.2's ASCII form body, `invalid_request` in every
 * challenge, and — Express — nothing thrown after the guard settles escapes as an unhandled
 * rejection when something else answered first.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import express from 'express';
import Koa from 'koa';
import { createGuard, type GuardError, type GuardOptions } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';
import Fastify from 'fastify';
import { getRequestListener } from '@hono/node-server';
import { resourceGuard } from '@resource-guard/fastify';
import { withAuth } from '@resource-guard/fetch';
import { FRAMEWORKS, startApp, type TestApp } from '../helpers/apps.js';
import { parseChallenges } from '../helpers/challenge.js';
import { clientKey, signProof } from '../helpers/dpop.js';
import { send, type RawResponse } from '../helpers/http.js';
import { startEndpoint, activeBody } from '../helpers/introspection.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
});
test.after.always(async () => {
  await issuer?.close();
});

const base = (): GuardOptions => ({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, logger: { warn() {}, error() {} },
});

/** Sends a request exactly as written (raw Host, raw target: no client-side URL normalisation). */
function sendRaw(url: string, target: string, headers: Array<[string, string]>, body = ''): Promise<RawResponse> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const lines = [`${body === '' ? 'GET' : 'POST'} ${target} HTTP/1.1`, ...headers.map(([name, value]) => `${name}: ${value}`), 'connection: close'];
    if (body !== '') lines.push(`content-length: ${Buffer.byteLength(body)}`);
    // Not end(): a half-closed socket makes Node's server drop a response still being computed.
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [status = '', ...fields] = head.split('\r\n');
      const parsed: Record<string, string> = {};
      for (const field of fields) {
        const colon = field.indexOf(':');
        parsed[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
      }
      resolve({ status: Number(status.split(' ')[1]), headers: parsed, body: rest.join('\r\n\r\n') });
    });
  });
}

/** A client key and an access token bound to it (`cnf.jkt`). */
async function boundToken(): Promise<{ key: Awaited<ReturnType<typeof clientKey>>; token: string }> {
  const key = await clientKey();
  return { key, token: await issuer.sign({ cnf: { jkt: key.jkt } }) };
}

/** Every challenge of the response carries `error` (and no token anywhere in the response). */
function assertInvalidRequest(t: ExecutionContext, response: RawResponse, app: TestApp, code: string, secrets: string[] = [], handlerCalls = 0): void {
  t.is(response.status, 400, 'status');
  const challenges = parseChallenges(response.headers['www-authenticate'] as string);
  t.true(challenges.length >= 1);
  for (const challenge of challenges) t.is(challenge.params.error, 'invalid_request', `${challenge.scheme} challenge`);
  t.is((app.errors.at(-1) as GuardError | undefined)?.code as string | undefined, code, 'code');
  const everything = JSON.stringify(response.headers) + response.body + app.errors.map((error) => `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`).join(' ');
  for (const secret of secrets) t.false(everything.includes(secret), 'no token in the response or the errors');
  t.is(app.handlerCalls, handlerCalls, 'the handler did not run for the rejection');
}

/**
 * The fetch adapter sees a `Request` that a runtime built: on Node, `@hono/node-server` refuses a
 * `Host` it cannot build a URL from with its own 400 before any handler runs (no challenge, the
 * guard never called), and its URL parser removes dot segments, so the router and the proof's
 * `htu` name the same path. Those rows say so instead of expecting the guard's answer.
 */
async function assertRefusedByBridge(t: ExecutionContext, response: RawResponse, app: TestApp): Promise<void> {
  t.is(response.status, 400, 'refused by @hono/node-server');
  t.is(response.headers['www-authenticate'], undefined, 'before the guard ran');
  t.deepEqual(app.errors, []);
  t.is(app.handlerCalls, 0);
}

const HOSTILE_HOSTS = [
  ['a path and a fragment', (host: string) => `${host}/orders#`],
  ['a query mark', (host: string) => `${host}?`],
  ['a fragment', (host: string) => `${host}#x`],
  ['a backslash', (host: string) => `${host}\\admin`],
  ['userinfo', (host: string) => `user@${host}`],
  ['whitespace', (host: string) => `${host} x`],
  ['a port over 65535', () => '127.0.0.1:70000'],
  ['a percent-encoding', (host: string) => `${host}%2f`],
] as const;

for (const framework of FRAMEWORKS) {
  for (const [title, hostile] of HOSTILE_HOSTS) {
    test(`[${framework}] DPoP: a Host with ${title} is a 400, never a path of the client's choosing`, async (t) => {
      const app = await startApp(framework, base());
      t.teardown(() => app.close());
      const { key, token } = await boundToken();
      const host = new URL(app.url).host;
      // A proof for /orders: with the path taken from Host, it was accepted on /protected.
      const proof = await signProof(key, token, `http://${host}/orders`);
      const response = await sendRaw(app.url, '/protected', [['host', hostile(host)], ['authorization', `DPoP ${token}`], ['dpop', proof]]);
      if (framework === 'fetch') {
        await assertRefusedByBridge(t, response, app);
        return;
      }
      if (framework === 'koa' && title === 'userinfo') {
        // Koa itself reduces `user@host` to the host (URL parsing): a valid host, so the proof
        // is judged against the real path, and refused.
        t.is(response.status, 401);
        t.is((app.errors.at(-1) as GuardError).code, 'ERR_DPOP_HTU_MISMATCH');
        return;
      }
      assertInvalidRequest(t, response, app, 'ERR_REQUEST_HOST_INVALID', [token, proof]);
    });
  }

  test(`[${framework}] DPoP: with dpop.baseUrl, Host is never read and the path comes from the request target`, async (t) => {
    const app = await startApp(framework, { ...base(), dpop: { baseUrl: 'https://api.example.test/v1' } });
    t.teardown(() => app.close());
    const { key, token } = await boundToken();
    const good = await signProof(key, token, 'https://api.example.test/v1/protected');
    // The fetch bridge refuses an unparsable Host itself (see assertRefusedByBridge): a valid but foreign one there.
    const [badHost, pathHost] = framework === 'fetch' ? ['evil.example', 'api.example.test'] : ['evil.example/orders#', 'api.example.test/v1/orders#'];
    const accepted = await sendRaw(app.url, '/protected?page=2', [['host', badHost], ['authorization', `DPoP ${token}`], ['dpop', good]]);
    t.is(accepted.status, 200, 'a bad Host does not matter when it is not read');
    const other = await signProof(key, token, 'https://api.example.test/v1/orders');
    const refused = await sendRaw(app.url, '/protected', [['host', pathHost], ['authorization', `DPoP ${token}`], ['dpop', other]]);
    t.is(refused.status, 401, 'a proof for another path is refused whatever Host says');
    t.is((app.errors.at(-1) as GuardError).code, 'ERR_DPOP_HTU_MISMATCH');
  });

  test(`[${framework}] DPoP: a request target with dot segments is a 400 (the router and htu would name different paths)`, async (t) => {
    const app = await startGlobalApp(framework, base());
    t.teardown(() => app.close());
    const { key, token } = await boundToken();
    const host = new URL(app.url).host;
    const proof = await signProof(key, token, `http://${host}/protected`);
    t.is((await sendRaw(app.url, '/protected', [['host', host], ['authorization', `DPoP ${token}`], ['dpop', proof]])).status, 200);
    for (const target of ['/x/../protected', '/./protected', '/x/%2E%2e/protected']) {
      const response = await sendRaw(app.url, target, [['host', host], ['authorization', `DPoP ${token}`], ['dpop', await signProof(key, token, `http://${host}/protected`)]]);
      if (framework === 'fetch') {
        // The bridge's URL parser removed the dot segments: router and htu both see /protected.
        t.is(response.status, 200, target);
        continue;
      }
      t.is(response.status, 400, target);
      t.is((app.errors.at(-1) as GuardError | undefined)?.code, 'ERR_REQUEST_TARGET_INVALID', target);
    }
  });

  test(`[${framework}] a query token with an unparsable Host: read from the request target, no raw error carrying the URL`, async (t) => {
    const app = await startApp(framework, { ...base(), tokenLocations: ['header', 'query'] });
    t.teardown(() => app.close());
    const token = await issuer.sign();
    for (const host of ['a b', 'x/y?z', '[::1']) {
      const response = await sendRaw(app.url, `/protected?access_token=${token}`, [['host', host]]);
      if (framework === 'fetch') {
        await assertRefusedByBridge(t, response, app);
        continue;
      }
      t.is(response.status, 200, host);
      t.is(response.headers['cache-control'], 'private');
    }
    t.deepEqual(app.errors, []);
  });

  test(`[${framework}] a form body carrying the token must be entirely ASCII (RFC 6750 §2.2)`, async (t) => {
    const app = await startApp(framework, { ...base(), tokenLocations: ['header', 'body'] });
    t.teardown(() => app.close());
    const token = await issuer.sign();
    const form = [['content-type', 'application/x-www-form-urlencoded'], ['host', new URL(app.url).host]] as Array<[string, string]>;
    t.is((await sendRaw(app.url, '/form', form, `access_token=${token}&note=plain`)).status, 200, 'ASCII passes');
    const response = await sendRaw(app.url, '/form', form, `access_token=${token}&note=caf\u00e9`);
    assertInvalidRequest(t, response, app, 'ERR_REQUEST_BODY_NOT_ASCII', [token], 1);
    const inName = await sendRaw(app.url, '/form', form, `access_token=${token}&n\u00e4me=x`);
    t.is(inName.status, 400, 'a non-ASCII name too');
  });

  test(`[${framework}] two Authorization fields with DPoP on: invalid_request in every challenge (RFC 9449 §7.2)`, async (t) => {
    const app = await startApp(framework, base());
    t.teardown(() => app.close());
    const token = await issuer.sign();
    const response = await send(`${app.url}/protected`, { headers: [['authorization', `Bearer ${token}`], ['authorization', `DPoP ${token}`]] });
    assertInvalidRequest(t, response, app, 'ERR_REQUEST_MULTIPLE_AUTHORIZATION', [token]);
    t.deepEqual(parseChallenges(response.headers['www-authenticate'] as string).map((challenge) => challenge.scheme), ['Bearer', 'DPoP']);
  });
}

test('guard.verify(): a request URL that does not parse is a 400 carrying no request data', async (t) => {
  const guard = createGuard({ ...base(), tokenLocations: ['query'] });
  const token = await issuer.sign();
  const error = await t.throwsAsync(guard.verify({ method: 'GET', url: `http://a b/orders?access_token=${token}`, headers: {} })) as GuardError;
  t.is(error.code, 'ERR_REQUEST_URL_INVALID');
  t.is(error.status, 400);
  t.is(error.cause, undefined);
  t.false(`${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`.includes(token));

  const key = await clientKey();
  const bound = await issuer.sign({ cnf: { jkt: key.jkt } });
  const proof = await signProof(key, bound, 'https://api.example.test/orders');
  const dpop = await t.throwsAsync(guard.verify({ method: 'GET', url: 'not a url', headers: { authorization: `DPoP ${bound}`, dpop: proof } })) as GuardError;
  t.is(dpop.code, 'ERR_REQUEST_URL_INVALID');
});

/** An app with `protect()` in front of every path (no router: any target reaches the guard). */
async function startGlobalApp(framework: string, options: GuardOptions): Promise<{ url: string; errors: unknown[]; close(): Promise<void> }> {
  const errors: unknown[] = [];
  let handler: http.RequestListener;
  if (framework === 'express') {
    const app = express();
    app.use(expressAdapter.protect(options), (_req, res) => {
      res.json({ ok: true });
    });
    app.use((error: GuardError, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(error);
      res.status(error.status ?? 500).set(error.headers ?? {}).end();
    });
    handler = app;
  } else if (framework === 'koa') {
    const app = new Koa();
    app.silent = true;
    app.on('error', (error: unknown) => errors.push(error));
    app.use(koaAdapter.protect(options));
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    handler = app.callback();
  } else if (framework === 'fastify') {
    const app = Fastify();
    await app.register(resourceGuard, { ...options, errors: false });
    app.setErrorHandler((error, _request, reply) => {
      errors.push(error);
      return reply.send(error);
    });
    app.all('/*', async () => ({ ok: true }));
    await app.ready();
    handler = app.routing as http.RequestListener;
  } else {
    const fetchHandler = withAuth(options, () => Response.json({ ok: true }), { onRejection: (error) => errors.push(error) });
    handler = getRequestListener(fetchHandler, { overrideGlobalObjects: false });
  }
  return listen(handler, errors);
}

/** Serves `handler` on a random loopback port; `errors` is what the app's error handling saw. */
async function listen(handler: http.RequestListener, errors: unknown[]): Promise<{ url: string; errors: unknown[]; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    errors,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Express: nothing after the guard settles may escape (class: process exit by unhandled rejection)
// ---------------------------------------------------------------------------------------------

/** An Express app whose first middleware answers at once and carries on (as a timeout middleware does when it fires). */
async function startEarlyAnswerApp(options: GuardOptions): Promise<{ url: string; errors: unknown[]; close(): Promise<void> }> {
  const errors: unknown[] = [];
  const app = express();
  app.use((_req, res, next) => {
    res.status(503).json({ error: 'timeout' });
    next();
  });
  app.get('/protected', expressAdapter.protect(options), (_req, res) => {
    if (!res.headersSent) res.json({ ok: true });
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    errors.push(error);
    if (res.headersSent) return;
    next(error);
  });
  return listen(app, errors);
}

test.serial('[express] a response sent before the guard settles: no unhandled rejection, on every asynchronous path', async (t) => {
  const escaped: unknown[] = [];
  const record = (error: unknown) => escaped.push(error);
  process.on('unhandledRejection', record);
  t.teardown(() => {
    process.off('unhandledRejection', record);
  });
  const endpoint = await startEndpoint(async () => ({ body: activeBody(), delay: 20 }));
  t.teardown(() => endpoint.close());
  const asyncStore = createAsyncMemoryStore();
  const query = ['header', 'query'] as GuardOptions['tokenLocations'];
  const paths: Array<[string, GuardOptions, () => Promise<string>]> = [
    // A fresh guard has no keys yet: the JWKS fetch makes the path asynchronous.
    ['JWKS fetch', { ...base(), tokenLocations: query }, () => issuer.sign()],
    ['offloadSignatures', { ...base(), tokenLocations: query, offloadSignatures: true }, () => issuer.sign()],
    ['introspection', { ...base(), tokenLocations: query, introspection: { endpoint: endpoint.url, clientId: 'rs', clientSecret: 'secret' } }, async () => 'opaque-token-1'],
    ['an asynchronous store', {
      ...base(), tokenLocations: query, store: asyncStore, introspection: { endpoint: endpoint.url, clientId: 'rs', clientSecret: 'secret' },
    }, async () => 'opaque-token-2'],
  ];
  for (const [title, options, mint] of paths) {
    const app = await startEarlyAnswerApp(options);
    try {
      for (let i = 0; i < 2; i += 1) {
        const response = await send(`${app.url}/protected?access_token=${await mint()}`);
        t.is(response.status, 503, `${title}: the early answer stands`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      t.deepEqual(escaped, [], `${title}: nothing escaped`);
      // Not even an ERR_HTTP_HEADERS_SENT reached the error handler: headers are not set on a response already sent.
      t.deepEqual(app.errors, [], `${title}: no error after the early answer`);
    } finally {
      await app.close();
    }
  }
});

/** The memory store behind promises, as a network store answers. */
function createAsyncMemoryStore() {
  const values = new Map<string, unknown>();
  return {
    get: async (key: string) => values.get(key),
    set: async (key: string, value: unknown) => {
      values.set(key, value);
    },
    add: async (key: string, value: unknown) => {
      if (values.has(key)) return false;
      values.set(key, value);
      return true;
    },
  };
}

test('[koa] a response sent before the guard settles: the guard does not throw over it', async (t) => {
  const endpoint = await startEndpoint(async () => ({ body: activeBody(), delay: 20 }));
  t.teardown(() => endpoint.close());
  const errors: unknown[] = [];
  const app = new Koa();
  app.silent = true;
  app.on('error', (error: unknown) => errors.push(error));
  app.use(async (ctx, next) => {
    ctx.status = 503;
    ctx.res.writeHead(503).end('timeout');
    await next();
  });
  app.use(koaAdapter.protect({ ...base(), tokenLocations: ['header', 'query'], introspection: { endpoint: endpoint.url, clientId: 'rs', clientSecret: 'secret' } }));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const response = await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/protected?access_token=opaque-koa`);
  t.is(response.status, 503);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(errors, []);
});
