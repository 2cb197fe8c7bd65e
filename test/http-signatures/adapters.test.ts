/**
 * The adapters' edges, without a token (a key set verifies): raw bodies they cannot read, the
 * `origin` setting, bodies that cannot be signed, signing failures, body limits on fetch.
 */
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import test from 'ava';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import * as expressAdapter from '@resource-guard/express';
import * as fastifyAdapter from '@resource-guard/fastify';
import * as fetchAdapter from '@resource-guard/fetch';
import * as koaAdapter from '@resource-guard/koa';
import {
  createRequestSignatureVerifier, createRequestSigner, createResponseSignatureVerifier, type ResponseSigner, type SignedRequest,
} from '@resource-guard/http-signatures';
import * as sigExpress from '@resource-guard/http-signatures/express';
import * as sigFastify from '@resource-guard/http-signatures/fastify';
import * as sigFetch from '@resource-guard/http-signatures/fetch';
import * as sigKoa from '@resource-guard/http-signatures/koa';
import { keyPair } from './signing.js';

const client = keyPair('ES256', 'client-key');
const server = keyPair('ES256', 'server-key');
const keys = { keys: [client.publicJwk] };
const quiet = { logger: { error() {} } };

async function listen(listener: RequestListener) {
  const httpServer = http.createServer(listener);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { httpServer.closeAllConnections(); httpServer.close(() => resolve()); }),
  };
}

/** Sends `body` to `url`, signed for `signedUrl` (the URL the client believes it calls). */
async function sendSigned(url: string, body: string | undefined, signedUrl = url, method = body === undefined ? 'GET' : 'POST') {
  const headers: Record<string, string> = { authorization: 'Bearer not-checked-here', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const request: SignedRequest = { method, url: signedUrl, headers, body: body === undefined ? undefined : new TextEncoder().encode(body) };
  const fields = await createRequestSigner({ key: client.privateJwk }).sign(request);
  const response = await fetch(url, { method, headers: { ...headers, ...fields }, body });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { response, bytes, text: new TextDecoder().decode(bytes), sent: { ...request, headers: { ...headers, ...fields } } };
}

test('Express: a body without raw bytes is a 500, never a pass; origin; replaced req.auth; res.write bodies are signed; a failed signing is a 500', async (t) => {
  const app = express();
  app.post('/no-raw-body', sigExpress.verifyHttpSignature({ keys }), (_req, res) => { res.json({}); });
  app.post('/raw', express.raw({ type: '*/*' }), sigExpress.verifyHttpSignature(createRequestSignatureVerifier({ keys }), { origin: 'https://api.example.test' }), (req, res) => {
    res.json({ keyid: req.httpSignature?.keyid });
  });
  app.get('/replaced', (req, _res, next) => { req.auth = {} as never; next(); }, sigExpress.verifyHttpSignature({ keys }), (_req, res) => { res.json({}); });
  app.get('/streamed', sigExpress.signResponses({ key: server.privateJwk }), (_req, res) => {
    res.status(200).setHeader('content-type', 'text/plain');
    res.write('one ');
    res.write(Buffer.from('two '), () => undefined);
    res.write('three', 'utf8', () => undefined);
    res.end(' end', 'utf8', () => undefined);
  });
  app.get('/empty', sigExpress.signResponses({ key: server.privateJwk }, {}), (_req, res) => {
    res.status(204);
    res.end(() => undefined);
  });
  const failing: ResponseSigner = { sign: () => Promise.reject(new Error('key store down')) };
  app.get('/failing', sigExpress.signResponses(failing), (_req, res) => { res.json({ secret: 'never sent unsigned' }); });
  app.use(expressAdapter.errorHandler(quiet));
  const { base, close } = await listen(app);
  try {
    const noRaw = await sendSigned(`${base}/no-raw-body`, '{"a": 1}');
    t.is(noRaw.response.status, 500);
    const raw = await sendSigned(`${base}/raw`, '{"a": 1}', 'https://api.example.test/raw');
    t.is(raw.response.status, 200, raw.text);
    t.is(JSON.parse(raw.text).keyid, 'client-key');
    // Signed for the URL the server sees, not the configured origin: refused.
    t.is((await sendSigned(`${base}/raw`, '{"a": 1}')).response.status, 401);
    t.is((await sendSigned(`${base}/replaced`, undefined)).response.status, 500);
    const streamed = await sendSigned(`${base}/streamed`, undefined);
    t.is(streamed.text, 'one two three end');
    const empty = await sendSigned(`${base}/empty`, undefined);
    t.is(empty.response.status, 204);
    t.regex(empty.response.headers.get('signature-input')!, /"@status"\);created=/);
    const verified = await createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] } })
      .verify({ status: 200, headers: Object.fromEntries(streamed.response.headers), body: new TextEncoder().encode(streamed.text) }, streamed.sent);
    t.is(verified.keyid, 'server-key');
    const failed = await fetch(`${base}/failing`);
    t.is(failed.status, 500);
    t.false((await failed.text()).includes('never sent unsigned'));
  } finally {
    await close();
  }
  t.throws(() => sigExpress.verifyHttpSignature({ keys }, { origin: 'https://api.example.test/path' }), { instanceOf: TypeError, message: /origin/ });
  t.throws(() => sigExpress.verifyHttpSignature({ keys }, { origin: 'ftp://api.example.test' }), { instanceOf: TypeError, message: /origin/ });
  t.throws(() => sigExpress.verifyHttpSignature({ keys }, { origin: 'not a url' }), { instanceOf: TypeError, message: /origin/ });
  t.throws(() => sigExpress.verifyHttpSignature({ keys }, { orign: 'x' } as never), { instanceOf: TypeError, message: /orign/ });
  t.throws(() => sigExpress.verifyHttpSignature({ keys }, 'x' as never), { instanceOf: TypeError });
  t.throws(() => sigExpress.signResponses({ key: server.publicJwk }), { instanceOf: TypeError, message: /private/ });
});

test('Koa: string, Buffer, object and empty bodies are signed as sent; a stream body is a 500; no raw body is a 500', async (t) => {
  const app = new Koa();
  app.use(koaAdapter.errorHandler(quiet));
  app.use(sigKoa.signResponses({ key: server.privateJwk }));
  app.use(async (ctx, next) => {
    if (ctx.path === '/verify') return sigKoa.verifyHttpSignature({ keys })(ctx, next);
    return next();
  });
  app.use((ctx) => {
    if (ctx.path === '/string') ctx.body = 'plain text';
    else if (ctx.path === '/buffer') ctx.body = Buffer.from([1, 2, 3]);
    else if (ctx.path === '/object') ctx.body = { ok: true };
    else if (ctx.path === '/stream') ctx.body = Readable.from(['a', 'b']);
    else ctx.status = 204;
  });
  const { base, close } = await listen(app.callback());
  try {
    const responseVerifier = createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] } });
    for (const path of ['/string', '/buffer', '/object', '/empty']) {
      const { response, sent, bytes } = await sendSigned(`${base}${path}`, undefined);
      const verified = await responseVerifier.verify({ status: response.status, headers: Object.fromEntries(response.headers), body: bytes }, sent);
      t.is(verified.keyid, 'server-key', path);
    }
    t.is((await sendSigned(`${base}/stream`, undefined)).response.status, 500);
    t.is((await sendSigned(`${base}/verify`, '{"a": 1}')).response.status, 500, 'a body without ctx.request.rawBody');
  } finally {
    await close();
  }
});

test('Fastify: a stream payload cannot be signed (500); a body without request.rawBody is a 500', async (t) => {
  const app = Fastify({ logger: false });
  await app.register(fastifyAdapter.resourceGuard, { global: false, errors: false });
  app.setErrorHandler(fastifyAdapter.errorHandler(quiet));
  app.get('/stream', { onSend: sigFastify.signResponses({ key: server.privateJwk }) }, async (_request, reply) => reply.send(Readable.from(['a'])));
  app.post('/verify', { preHandler: sigFastify.verifyHttpSignature({ keys }) }, async () => ({ ok: true }));
  await app.ready();
  const { base, close } = await listen(app.routing as RequestListener);
  try {
    t.is((await sendSigned(`${base}/stream`, undefined)).response.status, 500);
    t.is((await sendSigned(`${base}/verify`, '{"a": 1}')).response.status, 500);
  } finally {
    await close();
  }
});

test('fetch: the body read is bounded (413 by Content-Length or while streaming); a request without a body verifies', async (t) => {
  const verify = sigFetch.verifyHttpSignature({ keys });
  const handler = async (request: Request): Promise<Response> => {
    try {
      const { signature, body } = await verify(request, { maxBodySize: 16 });
      return Response.json({ keyid: signature.keyid, body: body?.length ?? null });
    } catch (error) {
      return fetchAdapter.rejectionResponse(error);
    }
  };
  const { base, close } = await listen(getRequestListener(handler, { overrideGlobalObjects: false }));
  try {
    const get = await sendSigned(`${base}/x`, undefined);
    t.deepEqual(JSON.parse(get.text), { keyid: 'client-key', body: null });
    t.is((await sendSigned(`${base}/x`, '{"a": "0123456789abcdef"}')).response.status, 413);
  } finally {
    await close();
  }
  // No Content-Length: the limit holds while reading.
  const chunked = new Request('https://api.example.test/x', {
    method: 'POST', body: new ReadableStream({ start(controller) { controller.enqueue(new Uint8Array(10)); controller.enqueue(new Uint8Array(10)); controller.close(); } }),
    duplex: 'half',
  } as RequestInit);
  const error = await t.throwsAsync(verify(chunked, { maxBodySize: 16 }));
  t.is((error as { code?: string }).code, 'ERR_HTTPSIG_BODY_TOO_LARGE');
  // The default limit (1 MiB) lets a small chunked body through to the signature check.
  const small = new Request('https://api.example.test/x', {
    method: 'POST', body: new ReadableStream({ start(controller) { controller.enqueue(new Uint8Array(10)); controller.close(); } }), duplex: 'half',
  } as RequestInit);
  t.is(((await t.throwsAsync(verify(small))) as { code?: string }).code, 'ERR_HTTPSIG_MISSING');
  // A signer instance is used as it is; a response without a body gets no digest.
  const signer = sigFetch.signResponses({ key: server.privateJwk });
  const signed = await signer(new Response(null, { status: 204 }), new Request('https://api.example.test/x'));
  t.is(signed.headers.get('content-digest'), null);
  t.regex(signed.headers.get('signature-input')!, /"@status"\);created=/);
});

test('every adapter: a covered @query-param whose name is a malformed escape is a 401 invalid_request, never a 500', async (t) => {
  const ok = { ok: true };
  const expressApp = express();
  expressApp.get('/q', sigExpress.verifyHttpSignature({ keys }), (_req, res) => { res.json(ok); });
  expressApp.use(expressAdapter.errorHandler(quiet));
  const koaApp = new Koa();
  koaApp.use(koaAdapter.errorHandler(quiet));
  koaApp.use(sigKoa.verifyHttpSignature({ keys }));
  koaApp.use((ctx) => { ctx.body = ok; });
  const fastifyApp = Fastify({ logger: false });
  await fastifyApp.register(fastifyAdapter.resourceGuard, { global: false, errors: false });
  fastifyApp.setErrorHandler(fastifyAdapter.errorHandler(quiet));
  fastifyApp.get('/q', { preHandler: sigFastify.verifyHttpSignature({ keys }) }, async () => ok);
  await fastifyApp.ready();
  const verifyFetch = sigFetch.verifyHttpSignature({ keys });
  const fetchHandler = async (request: Request): Promise<Response> => {
    try {
      await verifyFetch(request);
      return Response.json(ok);
    } catch (error) {
      return fetchAdapter.rejectionResponse(error);
    }
  };
  const listeners: Array<[string, RequestListener]> = [
    ['express', expressApp], ['koa', koaApp.callback()], ['fastify', fastifyApp.routing as RequestListener],
    ['fetch', getRequestListener(fetchHandler, { overrideGlobalObjects: false })],
  ];
  for (const [name, listener] of listeners) {
    const { base, close } = await listen(listener);
    try {
      const url = `${base}/q?%E0%A4%A=1`;
      const headers = { authorization: 'Bearer not-checked-here' };
      const fields = await createRequestSigner({ key: client.privateJwk }).sign({ method: 'GET', url, headers });
      // The signature is good over what it covers; the malformed name is added to what it covers.
      t.is((await fetch(url, { headers: { ...headers, ...fields } })).status, 200, `${name}: the signed request passes`);
      const input = fields['signature-input'].replace('"authorization")', '"authorization" "@query-param";name="%E0%A4%A")');
      const response = await fetch(url, { headers: { ...headers, ...fields, 'signature-input': input } });
      t.is(response.status, 401, name);
      t.regex(response.headers.get('www-authenticate') ?? '', /error="invalid_request"/, name);
      t.notRegex(await response.text(), /URIError|URI malformed/, name);
    } finally {
      await close();
    }
  }
});
