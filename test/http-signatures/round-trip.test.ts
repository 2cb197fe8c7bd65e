/**
 * A FAPI 2.0 client (oauth4webapi, with a token from the dev authorization server) signs its
 * requests; each adapter that can read the raw body verifies them behind `protect()`, signs its
 * responses, and the client verifies those. Express, Koa, Fastify and fetch (Hono on Node).
 */
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import bodyParser from '@koa/bodyparser';
import { getRequestListener } from '@hono/node-server';
import test from 'ava';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import * as oauth from 'oauth4webapi';
import { createGuard, type Guard } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as fastifyAdapter from '@resource-guard/fastify';
import * as fetchAdapter from '@resource-guard/fetch';
import * as koaAdapter from '@resource-guard/koa';
import {
  createRequestSigner, createResponseSignatureVerifier, type KeySet, type SignedRequest,
} from '@resource-guard/http-signatures';
import * as sigExpress from '@resource-guard/http-signatures/express';
import * as sigFastify from '@resource-guard/http-signatures/fastify';
import * as sigFetch from '@resource-guard/http-signatures/fetch';
import * as sigKoa from '@resource-guard/http-signatures/koa';
import { clientOf, getToken, insecure, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { keyPair } from './signing.js';

const client = keyPair('ES256', 'client-key');
const server = keyPair('ES256', 'server-key');
const keys: KeySet = { keys: [client.publicJwk] };
const serverKeys: KeySet = { keys: [server.publicJwk] };

let dev: DevAs;
let guard: Guard;
test.before(async () => {
  dev = await startDevAs();
  guard = createGuard({ issuer: dev.server.issuer, audience: dev.server.resources.jwt, logger: { warn() {}, error() {} }, logRejections: false });
});
test.after.always(async () => {
  await dev?.close();
});

interface Payment { amount: string }

// The handler's answer: what it parsed from the body, and which key signed the request.
const answer = (payment: Payment | undefined, keyid: string | undefined, source: string | undefined) => ({ received: payment, keyid, source });

function expressApp(): RequestListener {
  const app = express();
  app.use(express.json({ verify: (req, _res, buffer) => { Object.assign(req, { rawBody: buffer }); } }));
  app.post('/payments', expressAdapter.protect(guard), sigExpress.verifyHttpSignature({ keys }), sigExpress.signResponses({ key: server.privateJwk }), (req, res) => {
    res.status(201).json(answer(req.body as Payment, req.httpSignature?.keyid, req.httpSignature?.keySource));
  });
  app.use(expressAdapter.errorHandler({ logger: { error() {} } }));
  return app;
}

function koaApp(): RequestListener {
  const app = new Koa();
  app.use(koaAdapter.errorHandler({ logger: { error() {} } }));
  app.use(bodyParser());
  app.use(koaAdapter.protect(guard));
  app.use(sigKoa.verifyHttpSignature({ keys }));
  app.use(sigKoa.signResponses({ key: server.privateJwk }));
  app.use((ctx) => {
    const signature = (ctx.state as { httpSignature?: { keyid?: string; keySource?: string } }).httpSignature;
    ctx.status = 201;
    ctx.body = answer((ctx.request as { body?: Payment }).body, signature?.keyid, signature?.keySource);
  });
  return app.callback();
}

async function fastifyApp(): Promise<RequestListener> {
  const app = Fastify({ logger: false });
  await app.register(fastifyAdapter.resourceGuard, { global: false, errors: false });
  app.setErrorHandler(fastifyAdapter.errorHandler({ logger: { error() {} } }));
  // Fastify keeps no raw body: this parser keeps it next to the parsed JSON.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.post('/payments', {
    onRequest: fastifyAdapter.protect(guard),
    preHandler: sigFastify.verifyHttpSignature({ keys }),
    onSend: sigFastify.signResponses({ key: server.privateJwk }),
  }, async (request, reply) => {
    reply.code(201);
    return answer(request.body as Payment, request.httpSignature?.keyid, request.httpSignature?.keySource);
  });
  await app.ready();
  return app.routing as RequestListener;
}

function fetchApp(): RequestListener {
  const verifySignature = sigFetch.verifyHttpSignature({ keys });
  const signResponse = sigFetch.signResponses({ key: server.privateJwk });
  const handler = async (request: Request): Promise<Response> => {
    try {
      const auth = await fetchAdapter.verify(guard, request);
      const { signature, body } = await verifySignature(request, { auth });
      const payment = body === undefined ? undefined : JSON.parse(new TextDecoder().decode(body)) as Payment;
      const response = Response.json(answer(payment, signature.keyid, signature.keySource), { status: 201 });
      return await signResponse(response, request, signature);
    } catch (error) {
      return fetchAdapter.rejectionResponse(error);
    }
  };
  return getRequestListener(handler, { overrideGlobalObjects: false });
}

async function listen(listener: RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const httpServer = http.createServer(listener);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/payments`,
    close: () => new Promise<void>((resolve) => { httpServer.closeAllConnections(); httpServer.close(() => resolve()); }),
  };
}

function headersOf(headers: Headers): Record<string, string> {
  return Object.fromEntries(headers.entries());
}

/**
 * The client's call through oauth4webapi: its `customFetch` sees the final request (its
 * `Authorization` and `DPoP` fields), signs it with `key`, sends it, and verifies the response
 * signature. Returns the response, its body and the response verification's outcome.
 */
async function call(url: string, token: string, body: string, options: { key?: typeof client.privateJwk; DPoP?: oauth.DPoPHandle; tamper?: boolean } = {}) {
  const signer = createRequestSigner({ key: options.key ?? client.privateJwk });
  let sent: SignedRequest | undefined;
  // oauth4webapi throws on a 401 challenge; the test reads the response it carries.
  const response = await oauth.protectedResourceRequest(token, 'POST', new URL(url), new Headers({ 'content-type': 'application/json' }), body, {
    DPoP: options.DPoP,
    ...insecure,
    [oauth.customFetch]: async (input, init) => {
      const request = new Request(input, init as RequestInit);
      const bytes = new Uint8Array(await request.clone().arrayBuffer());
      const unsigned: SignedRequest = { method: request.method, url: request.url, headers: headersOf(request.headers), body: bytes };
      const fields = await signer.sign(unsigned);
      const headers = new Headers(request.headers);
      for (const [name, value] of Object.entries(fields)) headers.set(name, value);
      sent = { ...unsigned, headers: headersOf(headers) };
      const wire = options.tamper === true ? new TextEncoder().encode(body.replace('10', '99')) : bytes;
      return fetch(request.url, { method: request.method, headers, body: wire });
    },
  }).catch((error: unknown) => {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  });
  const responseBody = new Uint8Array(await response.arrayBuffer());
  const verified = response.status < 300
    ? await createResponseSignatureVerifier({ keys: serverKeys }).verify({ status: response.status, headers: headersOf(response.headers), body: responseBody }, sent!)
    : undefined;
  return { response, json: JSON.parse(new TextDecoder().decode(responseBody)) as Record<string, unknown>, verified };
}

const adapters: Array<[string, () => RequestListener | Promise<RequestListener>]> = [
  ['Express (express.json verify → req.rawBody)', expressApp],
  ['Koa (@koa/bodyparser → ctx.request.rawBody)', koaApp],
  ['Fastify (parseAs buffer → request.rawBody)', fastifyApp],
  ['fetch / Hono (a clone of the Request body)', fetchApp],
];

for (const [name, make] of adapters) {
  test.serial(`${name}: a signed request with a dev-AS token verifies, the signed response verifies at the client`, async (t) => {
    const app = await listen(await make());
    try {
      const { access_token: token } = await getToken(dev, dev.server.clients.demo, { resource: dev.server.resources.jwt, scope: 'orders:read' });
      const { response, json, verified } = await call(app.url, token, '{"amount": "10.00"}');
      t.is(response.status, 201);
      t.deepEqual(json, { received: { amount: '10.00' }, keyid: 'client-key', source: 'keys' });
      t.is(verified!.keyid, 'server-key');
      t.true(verified!.components.includes('"signature";req;key="sig1"'));
      t.regex(response.headers.get('content-digest')!, /^sha-256=:/);

      // A DPoP-bound token: the proof's key (cnf.jkt) signs, no registered key needed.
      const pair = await oauth.generateKeyPair('ES256', { extractable: true });
      const DPoP = oauth.DPoP(clientOf(dev.server.clients.demo), pair);
      const bound = await getToken(dev, dev.server.clients.demo, { resource: dev.server.resources.jwt, scope: 'orders:read', DPoP });
      const dpopKey = { ...await crypto.subtle.exportKey('jwk', pair.privateKey) } as typeof client.privateJwk;
      const dpop = await call(app.url, bound.access_token, '{"amount": "10.00"}', { key: dpopKey, DPoP });
      t.is(dpop.response.status, 201);
      t.is(dpop.json.source, 'confirmation');
      t.true(dpop.verified!.components.includes('"dpop";req'));

      // A body changed after signing, and an unsigned request: 401 with the Accept-Signature hint.
      const tampered = await call(app.url, token, '{"amount": "10.00"}', { tamper: true });
      t.is(tampered.response.status, 401);
      t.is(tampered.json.error, 'invalid_request');
      t.regex(tampered.response.headers.get('www-authenticate')!, /^Bearer error="invalid_request"/);
      const unsigned = await fetch(app.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      t.is(unsigned.status, 401);
      t.is(unsigned.headers.get('accept-signature'), 'sig1=("@method" "@target-uri" "authorization" "content-digest");tag="fapi-2-request"');
      t.false((await unsigned.text()).includes('sig1=:'));
    } finally {
      await app.close();
    }
  });
}
