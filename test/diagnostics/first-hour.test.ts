/**
 * The mistakes of a first hour, each explained by the library itself: rejections logged outside
 * production (once, also with errorHandler({ logger })), an issuer that differs from the
 * discovered one only by a trailing slash, scheme or loopback alias, a discovery failure that
 * names its URL and cause, and unknown options that suggest the closest known name.
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createGuard, isGuardError, type GuardError } from '@resource-guard/core';
import { errorHandler, protect } from '@resource-guard/express';
import { withAuth } from '@resource-guard/fetch';
import { send } from '../helpers/http.js';
import { AUDIENCE, flipSignature, startMockIssuer } from '../helpers/issuer.js';
import { describeIssuerMismatch } from '../../packages/core/src/issuer/issuer-mismatch.js';

function recorder() {
  const lines: Record<'warn' | 'error' | 'debug', string[]> = { warn: [], error: [], debug: [] };
  return {
    lines,
    logger: {
      warn: (line: string) => lines.warn.push(line),
      error: (line: string) => lines.error.push(line),
      debug: (line: string) => lines.debug.push(line),
    },
  };
}

/** Runs `create` with `NODE_ENV` set as given (the default is read when the guard is created). */
function withNodeEnv<T>(value: string | undefined, create: () => T): T {
  const saved = process.env.NODE_ENV;
  if (value === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = value;
  try {
    return create();
  } finally {
    process.env.NODE_ENV = saved;
  }
}

async function listen(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('outside production each rejection is logged once by default, with its detail; in production nothing', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const forged = flipSignature(await issuer.sign());
  for (const [env, expected] of [[undefined, 1], ['development', 1], ['test', 1], ['production', 0]] as const) {
    const { lines, logger } = recorder();
    const guard = withNodeEnv(env, () => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger }));
    const error = await guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${forged}` } })
      .then(() => undefined, (rejection: unknown) => rejection as GuardError);
    t.is(error?.code, 'ERR_JWS_SIGNATURE_INVALID');
    t.is(lines.debug.length, expected, `NODE_ENV=${String(env)}`);
    if (expected === 1) {
      t.regex(lines.debug[0]!, /^resource-guard: rejected 401 ERR_JWS_SIGNATURE_INVALID: /);
      t.false(lines.debug[0]!.includes(forged.split('.')[2]!), 'never the token');
    }
  }
  // A logger without debug() is not an error by default: there is nowhere to log to.
  const quiet = withNodeEnv('development', () => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} } }));
  t.truthy(quiet);
  t.throws(() => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} }, logRejections: true }), { instanceOf: TypeError });
});

test('logRejections with errorHandler({ logger }): each 4xx logged once, not twice; a 503 once at error', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const { lines, logger } = recorder();
  const app = express();
  app.use(protect({ issuer: issuer.issuer, audience: AUDIENCE, logger, logRejections: true }));
  app.get('/orders', (_req, res) => res.json({ ok: true }));
  app.use(errorHandler({ logger }));
  const server = await listen(app);
  t.teardown(() => server.close());
  t.is((await send(`${server.url}/orders`)).status, 401);
  t.is((await send(`${server.url}/orders`, { headers: [['authorization', `Bearer ${flipSignature(await issuer.sign())}`]] })).status, 401);
  t.is(lines.debug.length, 2, 'one line per rejection');
  t.regex(lines.debug[1]!, /ERR_JWS_SIGNATURE_INVALID/);
  // A 503 (the key set unreachable): one line, at error, with its cause; not a debug line besides.
  issuer.mode = 'refuse';
  const other = await issuer.sign({}, { key: issuer.createKey('ES256', 'unknown-kid') });
  t.is((await send(`${server.url}/orders`, { headers: [['authorization', `Bearer ${other}`]] })).status, 503);
  issuer.mode = 'ok';
  t.is(lines.debug.length, 2, 'no debug line for the 503');
  t.is(lines.error.length, 1, 'one error line for the 503');
  t.regex(lines.error[0]!, /^resource-guard: rejected 503 ERR_JWKS_UNAVAILABLE: .*\(cause: /);
  // Without logRejections (production default), errorHandler's debug line is the only one.
  const alone = recorder();
  const app2 = express();
  app2.use(protect({ issuer: issuer.issuer, audience: AUDIENCE, logger: alone.logger, logRejections: false }));
  app2.use(errorHandler({ logger: alone.logger }));
  const server2 = await listen(app2);
  t.teardown(() => server2.close());
  t.is((await send(`${server2.url}/orders`)).status, 401);
  t.is(alone.lines.debug.length, 1);
});

test('discovery naming the issuer with a trailing slash: a 503 as before, and one warning saying what differs', async (t) => {
  let base = '';
  const server = await listen((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/.well-known/openid-configuration' ? { issuer: `${base}/`, jwks_uri: `${base}/jwks` } : { keys: [] }));
  });
  t.teardown(() => server.close());
  base = server.url;
  const { lines, logger } = recorder();
  const guard = createGuard({ issuer: base, audience: AUDIENCE, logger, logRejections: false });
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const token = await issuer.sign({ iss: base });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const error = await guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${token}` } })
      .then(() => undefined, (rejection: unknown) => rejection);
    t.true(isGuardError(error));
    t.is((error as GuardError).code, 'ERR_DISCOVERY_UNAVAILABLE', 'the verdict stays exact');
    t.is((error as GuardError).name, 'UpstreamUnavailableError');
  }
  t.is(lines.warn.length, 1, 'said once');
  t.regex(lines.warn[0]!, /differ only by a trailing slash: set "issuer" to "http:\/\/127\.0\.0\.1:\d+\/"/);
});

test('describeIssuerMismatch: trailing slash, scheme and loopback aliases are named; anything else is not', (t) => {
  t.is(describeIssuerMismatch('https://as.example/', 'https://as.example'), 'they differ only by a trailing slash');
  t.is(describeIssuerMismatch('http://as.example/tenant', 'https://as.example/tenant'), 'they differ only by the scheme');
  t.regex(describeIssuerMismatch('http://localhost:9000', 'http://127.0.0.1:9000') ?? '', /only by the host \(localhost and 127\.0\.0\.1/);
  t.is(describeIssuerMismatch('http://localhost:9001', 'http://127.0.0.1:9000'), undefined, 'another port is another server');
  t.is(describeIssuerMismatch('https://impostor.example', 'https://as.example'), undefined);
  t.is(describeIssuerMismatch(42, 'https://as.example'), undefined);
  t.is(describeIssuerMismatch('not a url', 'https://as.example'), undefined);
});

test('a discovery failure names the URL and the system\'s reason (ECONNREFUSED)', async (t) => {
  const closed = await listen(() => {});
  await closed.close();
  const guard = createGuard({ issuer: closed.url, audience: AUDIENCE, logger: { warn() {}, error() {} }, logRejections: false });
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const error = await guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${await issuer.sign({ iss: closed.url })}` } })
    .then(() => undefined, (rejection: unknown) => rejection as GuardError);
  t.is(error?.code, 'ERR_DISCOVERY_UNAVAILABLE');
  t.is(error?.detail, `GET ${closed.url}/.well-known/openid-configuration: ECONNREFUSED`);
});

test('unknown options suggest the closest known name; "optional" given to createGuard says where it belongs', (t) => {
  const base = { issuer: 'https://as.example', audience: AUDIENCE };
  t.throws(() => createGuard({ ...base, audiance: 'x' } as never), { instanceOf: TypeError, message: /unknown option "audiance": did you mean "audience"\?/ });
  t.throws(() => createGuard({ ...base, jwksURI: 'https://as.example/jwks' } as never), { message: /did you mean "jwksUri"\?/ });
  t.throws(() => createGuard({ ...base, frobnicate: true } as never), { message: /^resource-guard: unknown option "frobnicate": \(known: / });
  t.throws(() => createGuard({ ...base, optional: true } as never), { message: /"optional": it is a setting of protect\(\), withAuth\(\) and the Fastify plugin/ });
  t.throws(() => protect({ ...base, optinal: true } as never), { message: /did you mean "optional"\?/ });
  t.throws(() => createGuard({ ...base, dpop: { requierd: true } } as never), { message: /"dpop\.requierd": did you mean "required"\?/ });
});

test('optional: one rule on every form — in the options or in the settings, the same; two different values are an error', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const options = { issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} } };
  const handler = (_request: Request, auth: unknown) => Response.json({ anonymous: auth === undefined });
  const request = () => new Request('https://api.example.test/greeting');
  for (const wrapped of [
    withAuth({ ...options, optional: true }, handler),
    withAuth(options, handler, { optional: true }),
    withAuth(createGuard(options), handler, { optional: true }),
    withAuth({ ...options, optional: true }, handler, { optional: true }),
  ]) {
    const response = await wrapped(request());
    t.is(response.status, 200);
    t.deepEqual(await response.json(), { anonymous: true });
  }
  t.throws(() => withAuth({ ...options, optional: true }, handler, { optional: false as never }), { message: /"optional" is given twice/ });
  t.throws(() => protect({ ...options, optional: true }, { optional: false }), { message: /"optional" is given twice/ });
  t.throws(() => protect(createGuard(options), { optional: 'yes' as never }), { message: /"optional" must be a boolean/ });
  t.throws(() => protect(createGuard(options), { optinal: true } as never), { message: /did you mean "optional"\?/ });
  t.notThrows(() => protect(options, { optional: true }));
});
