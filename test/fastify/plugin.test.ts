/**
 * What only the Fastify plugin has: registration in a scope, the hook it picks, its options, and
 * its rendering of rejections, and Fastify's error handling with `errors: false`. The shared HTTP case
 * tables cover the verdicts (they run `protect()` and the requirements on Fastify too).
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { createGuard } from '@resource-guard/core';
import {
  errorHandler, getAuth, protect, protectedResourceMetadata, requireScopes, resourceGuard,
} from '@resource-guard/fastify';
import { findChallenge } from '../helpers/challenge.js';
import { clientKey, signProof } from '../helpers/dpop.js';
import { send } from '../helpers/http.js';
import { AUDIENCE, flipSignature, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer();
});
test.after.always(async () => {
  await issuer.close();
});

const guardOptions = () => ({ issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} } });

async function listen(app: FastifyInstance): Promise<{ url: string; close(): Promise<void> }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const bearer = (token: string): Array<[string, string]> => [['authorization', `Bearer ${token}`]];

test('the plugin protects the scope it is registered in, not its siblings; request.auth is typed and set', async (t) => {
  const app = Fastify();
  app.get('/public', async (request) => ({ auth: request.auth ?? null }));
  await app.register(async (api) => {
    await api.register(resourceGuard, guardOptions());
    api.get('/api/me', async (request) => ({ subject: request.auth?.subject, scopes: request.auth?.scopes }));
    api.get('/api/orders', { preHandler: requireScopes('orders:read') }, async () => ({ orders: [] }));
  });
  const server = await listen(app);
  try {
    t.is((await send(`${server.url}/public`)).status, 200);
    const anonymous = await send(`${server.url}/api/me`);
    t.is(anonymous.status, 401);
    const challenge = findChallenge(anonymous.headers['www-authenticate'] as string, 'Bearer');
    t.is(challenge?.params.realm, AUDIENCE);
    t.is(challenge?.params.error, undefined);
    const token = await issuer.sign({ scope: 'profile' });
    const me = await send(`${server.url}/api/me`, { headers: bearer(token) });
    t.is(me.status, 200);
    t.deepEqual(JSON.parse(me.body), { subject: issuer.claims().sub, scopes: ['profile'] });
    const denied = await send(`${server.url}/api/orders`, { headers: bearer(token) });
    t.is(denied.status, 403);
    t.is(findChallenge(denied.headers['www-authenticate'] as string, 'Bearer')?.params.scope, 'orders:read');
  } finally {
    await server.close();
  }
});

test('the plugin answers a rejection with the body every adapter sends, not Fastify\'s error envelope', async (t) => {
  const app = Fastify();
  await app.register(resourceGuard, guardOptions());
  app.get('/me', async () => ({ ok: true }));
  app.get('/orders', { preHandler: requireScopes('orders:read') }, async () => ({ ok: true }));
  const server = await listen(app);
  try {
    const malformed = await send(`${server.url}/me`, { headers: [['authorization', 'Bearer a b']] });
    t.is(malformed.status, 400);
    t.is(findChallenge(malformed.headers['www-authenticate'] as string, 'Bearer')?.params.error, 'invalid_request');
    t.regex(String(malformed.headers['content-type']), /^application\/json/);
    t.deepEqual(Object.keys(JSON.parse(malformed.body)).sort(), ['error', 'error_description']);
    t.is(JSON.parse(malformed.body).error, 'invalid_request');
    const anonymous = await send(`${server.url}/me`);
    t.is(anonymous.status, 401);
    t.deepEqual(Object.keys(JSON.parse(anonymous.body)), ['error_description'], 'no error member: the challenge has none');
    const unscoped = await send(`${server.url}/orders`, { headers: bearer(await issuer.sign({ scope: 'profile' })) });
    t.is(unscoped.status, 403);
    t.is(JSON.parse(unscoped.body).error, 'insufficient_scope', 'a requirement\'s rejection too');
  } finally {
    await server.close();
  }
});

test('errors: false hands rejections to the app setErrorHandler, which errorHandler() renders; other errors go on to Fastify', async (t) => {
  const app = Fastify();
  const seen: Array<{ code?: string; status?: number }> = [];
  await app.register(resourceGuard, { ...guardOptions(), errors: false });
  const render = errorHandler({ format: 'problem', logger: { error() {} } });
  app.setErrorHandler(function recordError(error, request, reply) {
    seen.push(error as { code?: string });
    return render.call(this, error, request, reply);
  });
  app.get('/me', async () => ({ ok: true }));
  app.get('/boom', { onRequest: (_request, _reply, done) => done() }, async () => {
    throw Object.assign(new Error('application failure'), { statusCode: 418 });
  });
  const server = await listen(app);
  try {
    const response = await send(`${server.url}/me`, { headers: bearer(flipSignature(await issuer.sign())) });
    t.is(response.status, 401);
    t.regex(String(response.headers['content-type']), /^application\/problem\+json/);
    t.like(JSON.parse(response.body), { status: 401, error: 'invalid_token' });
    t.is(seen.length, 1);
    t.is(seen[0]?.code, 'ERR_JWS_SIGNATURE_INVALID');
    const token = await issuer.sign();
    const other = await send(`${server.url}/boom`, { headers: bearer(token) });
    t.is(other.status, 418, 'not a rejection: Fastify\'s own handler answers it');
    t.like(JSON.parse(other.body), { statusCode: 418, message: 'application failure' });
  } finally {
    await server.close();
  }
});

test('getAuth(request): the context behind the plugin; on an optional route without credentials a 500 naming the misuse', async (t) => {
  const app = Fastify();
  await app.register(resourceGuard, { ...guardOptions(), optional: true });
  app.get('/me', async (request) => ({ subject: getAuth(request).subject }));
  const server = await listen(app);
  try {
    const token = await issuer.sign();
    const me = await send(`${server.url}/me`, { headers: bearer(token) });
    t.is(me.status, 200);
    t.deepEqual(JSON.parse(me.body), { subject: issuer.claims().sub });
    const anonymous = await send(`${server.url}/me`);
    t.is(anonymous.status, 500);
  } finally {
    await server.close();
  }
});

test('optional: requests without credentials pass with request.auth null (the decorated default); bad ones fail', async (t) => {
  const app = Fastify();
  await app.register(resourceGuard, { guard: createGuard(guardOptions()), optional: true });
  app.get('/greeting', async (request) => ({ auth: request.auth }));
  const server = await listen(app);
  try {
    const anonymous = await send(`${server.url}/greeting`);
    t.is(anonymous.status, 200);
    t.deepEqual(JSON.parse(anonymous.body), { auth: null });
    t.is((await send(`${server.url}/greeting`, { headers: bearer('not-a-jwt') })).status, 401);
  } finally {
    await server.close();
  }
});

test('tokenLocations with "body": the plugin runs as a preHandler, after the form body is parsed', async (t) => {
  const token = await issuer.sign();
  const form = { method: 'POST', headers: [['content-type', 'application/x-www-form-urlencoded']] as Array<[string, string]>, body: `access_token=${token}` };
  for (const [hook, status] of [[undefined, 200], ['onRequest', 500]] as const) {
    const app = Fastify();
    await app.register(formbody);
    const codes: string[] = [];
    app.setErrorHandler((error: { code: string }, _request, reply) => {
      codes.push(error.code);
      return reply.send(error);
    });
    await app.register(resourceGuard, { ...guardOptions(), tokenLocations: ['header', 'body'], errors: false, ...(hook === undefined ? {} : { hook }) });
    app.post('/form', async (request) => ({ subject: request.auth?.subject }));
    const server = await listen(app);
    try {
      const response = await send(`${server.url}/form`, form);
      t.is(response.status, status, `hook ${hook ?? 'default'}`);
      if (status === 500) t.deepEqual(codes, ['ERR_MISCONFIGURED_BODY_PARSER']);
      t.false(response.body.includes(token));
    } finally {
      await server.close();
    }
  }
});

test('plugin metadata: fastify-plugin with a Fastify 5 range and a name; bad plugin options are TypeErrors at start-up', async (t) => {
  const meta = (resourceGuard as unknown as Record<symbol, { fastify?: string; name?: string }>)[Symbol.for('plugin-meta')];
  t.is(meta?.fastify, '5.x');
  t.is(meta?.name, '@resource-guard/fastify');
  const bad = [{ global: 'yes' }, { hook: 'onSend' }, { global: false, issuer: 'https://as.example' }, { audience: AUDIENCE }, { ...guardOptions(), metadata: 'yes' }, { global: false, metadata: true }];
  for (const options of bad) {
    const app = Fastify();
    app.register(resourceGuard, options as never);
    await t.throwsAsync(app.ready(), { instanceOf: TypeError }, JSON.stringify(options));
  }
  t.throws(() => protect(undefined as never), { instanceOf: TypeError });
});

test('DPoP htu: an absolute-form request target is a 400, whichever origin the proof names', async (t) => {
  const key = await clientKey();
  const app = Fastify();
  const codes: string[] = [];
  await app.register(resourceGuard, { ...guardOptions(), errors: false });
  app.setErrorHandler((error: { code: string }, _request, reply) => {
    codes.push(error.code);
    return reply.send(error);
  });
  app.get('/me', async (request) => ({ scheme: request.auth?.scheme }));
  const server = await listen(app);
  const { port } = new URL(server.url);
  const rawGet = (target: string, headers: Record<string, string>) => new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
  try {
    const token = await issuer.sign({ cnf: { jkt: key.jkt } });
    const withProof = async (htu: string) => ({ authorization: `DPoP ${token}`, dpop: await signProof(key, token, htu) });
    t.is(await rawGet('/me', await withProof(`${server.url}/me`)), 200);
    t.is(await rawGet('http://evil.example/me', await withProof('http://evil.example/me')), 400);
    t.is(await rawGet('http://evil.example/me', await withProof(`${server.url}/me`)), 400);
    t.deepEqual(codes, ['ERR_REQUEST_TARGET_INVALID', 'ERR_REQUEST_TARGET_INVALID']);
  } finally {
    await server.close();
  }
});

test('DPoP htu behind a proxy: X-Forwarded-Proto/Host count only with Fastify\'s trustProxy', async (t) => {
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };
  for (const trustProxy of [true, false]) {
    const app = Fastify({ trustProxy });
    await app.register(resourceGuard, guardOptions());
    app.get('/me', async (request) => ({ scheme: request.auth?.scheme }));
    const server = await listen(app);
    try {
      const proof = async (htu: string) => [
        ['authorization', `DPoP ${token}`], ['dpop', await signProof(key, token, htu)],
        ...Object.entries(forwarded),
      ] as Array<[string, string]>;
      const publicUrl = await send(`${server.url}/me`, { headers: await proof('https://api.example.com/me') });
      const directUrl = await send(`${server.url}/me`, { headers: await proof(`${server.url}/me`) });
      t.is(publicUrl.status, trustProxy ? 200 : 401, `public URL, trustProxy ${trustProxy}`);
      t.is(directUrl.status, trustProxy ? 401 : 200, `direct URL, trustProxy ${trustProxy}`);
    } finally {
      await server.close();
    }
  }
});

test('an exception from the app\'s own callback (mtls.certificate) reaches Fastify\'s error handling as a 500', async (t) => {
  const app = Fastify();
  await app.register(resourceGuard, { ...guardOptions(), mtls: { certificate: () => { throw new Error('callback failed'); } } });
  app.get('/me', async () => ({ ok: true }));
  const server = await listen(app);
  try {
    const token = await issuer.sign({ cnf: { 'x5t#S256': 'A'.repeat(43) } });
    const response = await send(`${server.url}/me`, { headers: bearer(token) });
    t.is(response.status, 500);
    t.is((await send(`${server.url}/me`, { headers: bearer(await issuer.sign()) })).status, 200, 'the server goes on');
  } finally {
    await server.close();
  }
});

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

test('metadata: true serves the RFC 9728 document in the plugin\'s scope, exempt from its guard; challenges point to it', async (t) => {
  const app = Fastify();
  await app.register(resourceGuard, { ...guardOptions(), resourceMetadata: { resource: AUDIENCE }, metadata: true });
  app.get('/api/me', async (request) => ({ subject: request.auth?.subject }));
  const server = await listen(app);
  try {
    const document = await send(`${server.url}${WELL_KNOWN}`);
    t.is(document.status, 200);
    t.is((JSON.parse(document.body) as { resource: string }).resource, AUDIENCE);
    t.is(document.headers['access-control-allow-origin'], '*');
    const head = await send(`${server.url}${WELL_KNOWN}`, { method: 'HEAD' });
    t.is(head.status, 200);
    t.is(head.headers['content-length'], document.headers['content-length']);
    const post = await send(`${server.url}${WELL_KNOWN}`, { method: 'POST', body: '{}' });
    t.is(post.status, 405);
    t.is(post.headers.allow, 'GET, HEAD');
    const anonymous = await send(`${server.url}/api/me`);
    t.is(anonymous.status, 401);
    t.is(findChallenge(anonymous.headers['www-authenticate'] as string, 'Bearer')?.params.resource_metadata, `${AUDIENCE}${WELL_KNOWN}`);
    t.is((await send(`${server.url}${WELL_KNOWN}/other`)).status, 401, 'only the metadata paths are exempt');
  } finally {
    await server.close();
  }
});

test('protectedResourceMetadata(guard) without a resourceMetadata option is a TypeError at start-up', (t) => {
  t.throws(() => protectedResourceMetadata(createGuard(guardOptions())), { instanceOf: TypeError });
});
