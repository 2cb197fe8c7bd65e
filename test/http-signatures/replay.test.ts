/**
 * The replay guard of request signatures (RFC 9421 §7.2.2, option `replay`): a signed request
 * verified once is refused the second time within its window, on the verifier and behind the
 * Express and fetch middleware; a failing store is a 503, logged by its error's name only;
 * `requireNonce`; the option's bad values.
 */
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import test from 'ava';
import express from 'express';
import { createMemoryStore, type Store } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as fetchAdapter from '@resource-guard/fetch';
import { createRequestSignatureVerifier, createRequestSigner, type SignedRequest } from '@resource-guard/http-signatures';
import * as sigExpress from '@resource-guard/http-signatures/express';
import * as sigFetch from '@resource-guard/http-signatures/fetch';
import { rejectionOf } from '../helpers/issuer.js';
import { keyPair, now, paymentRequest, signByHand, withFields } from './signing.js';

const client = keyPair('ES256');
const keys = { keys: [client.publicJwk] };
const signer = createRequestSigner({ key: client.privateJwk });
const signed = async (request: SignedRequest = paymentRequest()) => withFields(request, await signer.sign(request));

/** A store whose `add` calls are recorded, delegating to a memory store unless `add` is replaced. */
function recordingStore(add?: Store['add']) {
  const inner = createMemoryStore();
  const calls: Array<{ key: string; ttl: number }> = [];
  const store: Store = {
    get: (key) => inner.get(key),
    set: (key, value, ttl) => inner.set(key, value, ttl),
    add: (key, value, ttl) => {
      calls.push({ key, ttl });
      return add === undefined ? inner.add(key, value, ttl) : add(key, value, ttl);
    },
  };
  return { store, calls };
}

test('the same signed request twice: accepted, then 401 ERR_HTTPSIG_REPLAYED; without the option both pass', async (t) => {
  const request = await signed();
  const plain = createRequestSignatureVerifier({ keys });
  t.truthy(await plain.verify(request));
  t.truthy(await plain.verify(request), 'without "replay", a replay within the window verifies');

  const { store, calls } = recordingStore();
  const verifier = createRequestSignatureVerifier({ keys, replay: { store } });
  t.is((await verifier.verify(request)).keyid, 'client-key-1');
  const error = await rejectionOf(verifier.verify(request));
  t.is(error.code, 'ERR_HTTPSIG_REPLAYED');
  t.is(error.status, 401);
  t.regex(error.headers['WWW-Authenticate'] ?? '', /error="invalid_request"/);
  t.regex(error.detail ?? '', /RFC 9421 §7\.2\.2/);
  // A new signature of the same request is another request: accepted.
  t.truthy(await verifier.verify(await signed()));
  // Keys are a hash, never the signature.
  const signature = /:([^:]+):/.exec(String(request.headers.signature))![1]!;
  t.is(calls.length, 3);
  for (const { key } of calls) {
    t.regex(key, /^httpsig:[A-Za-z0-9_-]{43}$/);
    t.false(key.includes(signature));
  }
});

test('only a signature that verified is recorded: a forged one costs no store write', async (t) => {
  const { store, calls } = recordingStore();
  const verifier = createRequestSignatureVerifier({ keys, replay: { store } });
  const good = await signed();
  const forged = withFields(good, { signature: String(good.headers.signature).replace(/:(.)/, (_m, c: string) => `:${c === 'A' ? 'B' : 'A'}`) });
  t.is((await rejectionOf(verifier.verify(forged))).code, 'ERR_HTTPSIG_SIGNATURE_INVALID');
  t.is(calls.length, 0);
});

test('the record lives until the signature would be refused anyway, plus clockTolerance for other processes\' clocks', async (t) => {
  const created = 1_700_000_000;
  const cases: Array<[string, number, string, number]> = [
    ['created now', created, '', 300 + 10 + 10],
    ['created 100 s ago', created + 100, '', 200 + 10 + 10],
    ['created 10 s ahead', created - 10, '', 310 + 10 + 10],
    ['expires in 60 s', created, `;expires=${created + 60}`, 60 + 10 + 10],
    ['at the last accepted second', created + 310, '', 0 + 10],
  ];
  for (const [name, at, expires, ttl] of cases) {
    const { store, calls } = recordingStore();
    const verifier = createRequestSignatureVerifier({ keys, replay: { store }, clock: () => at * 1000 });
    const input = `sig1=("@method" "@target-uri" "authorization" "content-digest");created=${created}${expires};keyid="client-key-1";tag="fapi-2-request"`;
    await verifier.verify(signByHand(paymentRequest(), input, client.privateKey));
    t.is(calls[0]!.ttl, ttl, name);
  }
  // No tolerance, at the last accepted second: still recorded, for a second.
  const { store, calls } = recordingStore();
  const verifier = createRequestSignatureVerifier({ keys, replay: { store }, clockTolerance: 0, clock: () => (created + 300) * 1000 });
  const input = `sig1=("@method" "@target-uri" "authorization" "content-digest");created=${created};keyid="client-key-1";tag="fapi-2-request"`;
  await verifier.verify(signByHand(paymentRequest(), input, client.privateKey));
  t.is(calls[0]!.ttl, 1);
});

test('a store that throws, rejects or answers no boolean is 503 ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE naming only the error class', async (t) => {
  const secret = 'redis://user:s3cret@10.0.0.7:6379 refused';
  const failures: Array<[string, Store['add'], RegExp]> = [
    ['throws', () => { throw new TypeError(secret); }, /\(TypeError\)$/],
    ['rejects', () => Promise.reject(new RangeError(secret)), /\(RangeError\)$/],
    ['answers undefined', () => undefined as unknown as boolean, /other than a boolean/],
    ['rejects with a string', () => Promise.reject(secret), /\(string\)$/],
  ];
  for (const [name, add, detail] of failures) {
    const verifier = createRequestSignatureVerifier({ keys, replay: { store: recordingStore(add).store } });
    const error = await rejectionOf(verifier.verify(await signed()));
    t.is(error.code, 'ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE', name);
    t.is(error.status, 503, name);
    t.regex(error.headers['Retry-After'] ?? '', /^\d+$/, name);
    t.regex(error.detail ?? '', detail, name);
    t.false(`${error.message} ${error.detail} ${String(error.cause)}`.includes('s3cret'), name);
  }
});

test('replay.requireNonce: no nonce is 401 ERR_HTTPSIG_NONCE_MISSING before the store; with a nonce it verifies, and a repeat is a replay', async (t) => {
  const { store, calls } = recordingStore();
  const verifier = createRequestSignatureVerifier({ keys, replay: { store, requireNonce: true } });
  const without = await rejectionOf(verifier.verify(await signed()));
  t.is(without.code, 'ERR_HTTPSIG_NONCE_MISSING');
  t.is(without.status, 401);
  const base = '"@method" "@target-uri" "authorization" "content-digest"';
  const empty = signByHand(paymentRequest(), `sig1=(${base});created=${now()};nonce="";keyid="client-key-1";tag="fapi-2-request"`, client.privateKey);
  t.is((await rejectionOf(verifier.verify(empty))).code, 'ERR_HTTPSIG_NONCE_MISSING');
  const token = signByHand(paymentRequest(), `sig1=(${base});created=${now()};nonce=abc;keyid="client-key-1";tag="fapi-2-request"`, client.privateKey);
  t.is((await rejectionOf(verifier.verify(token))).code, 'ERR_HTTPSIG_NONCE_MISSING', 'a Token is not a String');
  t.is(calls.length, 0);
  const withNonce = signByHand(paymentRequest(), `sig1=(${base});created=${now()};nonce="n-8c1f0a";keyid="client-key-1";tag="fapi-2-request"`, client.privateKey);
  t.truthy(await verifier.verify(withNonce));
  t.is((await rejectionOf(verifier.verify(withNonce))).code, 'ERR_HTTPSIG_REPLAYED');
});

test('the replay option\'s bad values are TypeErrors naming it', (t) => {
  const store = createMemoryStore();
  for (const replay of ['memory', null, {}, { store: {} }, { store: { get() {}, set() {} } }, { store, requireNonce: 'yes' }, { store, stor: store }]) {
    t.throws(() => createRequestSignatureVerifier({ keys, replay: replay as never }), { instanceOf: TypeError, message: /"replay/ }, JSON.stringify(replay));
  }
  t.notThrows(() => createRequestSignatureVerifier({ keys, replay: { store, requireNonce: false } }));
});

async function listen(listener: RequestListener) {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('Express and fetch: a replayed signed request is a 401; a failing store a 503 whose log line names the code and the error class only', async (t) => {
  const lines: string[] = [];
  const logger = { error: (line: string) => lines.push(line) };
  const failing = recordingStore(() => Promise.reject(new Error('redis://user:s3cret@10.0.0.7 down'))).store;
  const app = express();
  app.get('/pay', sigExpress.verifyHttpSignature({ keys, replay: { store: createMemoryStore() } }), (_req, res) => { res.json({ ok: true }); });
  app.get('/down', sigExpress.verifyHttpSignature({ keys, replay: { store: failing } }), (_req, res) => { res.json({ ok: true }); });
  app.use(expressAdapter.errorHandler({ logger }));
  const verifyFetch = sigFetch.verifyHttpSignature({ keys, replay: { store: createMemoryStore() } });
  const fetchListener = getRequestListener(async (request: Request) => {
    try {
      await verifyFetch(request);
      return Response.json({ ok: true });
    } catch (error) {
      return fetchAdapter.rejectionResponse(error);
    }
  }, { overrideGlobalObjects: false });
  for (const [name, listener, paths] of [['express', app, ['/pay', '/down']], ['fetch', fetchListener, ['/pay']]] as const) {
    const { base, close } = await listen(listener);
    try {
      const url = `${base}${paths[0]}`;
      const headers = { authorization: 'Bearer not-checked-here' };
      const sent = { ...headers, ...await signer.sign({ method: 'GET', url, headers }) };
      t.is((await fetch(url, { headers: sent })).status, 200, name);
      const replayed = await fetch(url, { headers: sent });
      t.is(replayed.status, 401, name);
      t.regex(replayed.headers.get('www-authenticate') ?? '', /error="invalid_request"/, name);
      if (paths.length > 1) {
        const down = `${base}${paths[1]}`;
        const response = await fetch(down, { headers: { ...headers, ...await signer.sign({ method: 'GET', url: down, headers }) } });
        t.is(response.status, 503);
        t.truthy(response.headers.get('retry-after'));
      }
    } finally {
      await close();
    }
  }
  t.is(lines.length, 1, 'one line for the store failure');
  t.regex(lines[0]!, /503 ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE: .*\(Error\)/);
  t.false(lines[0]!.includes('s3cret'));
});

/** `request` with its ES256 signature (r, s) replaced by (r, n − s), the other encoding that verifies. */
function withOtherS(request: SignedRequest): SignedRequest {
  const [, label, value] = /^([^=]+)=:([^:]+):$/.exec(String(request.headers.signature))!;
  const bytes = Buffer.from(value!, 'base64');
  const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n; // P-256's n
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.concat([bytes.subarray(0, 32), Buffer.from((order - s).toString(16).padStart(64, '0'), 'hex')]);
  return withFields(request, { signature: `${label}=:${flipped.toString('base64')}:` });
}

test('an ECDSA signature re-sent as (r, n − s), which verifies too, is refused as the replay it is', async (t) => {
  const request = await signed();
  const malleated = withOtherS(request);
  t.not(String(malleated.headers.signature), String(request.headers.signature));
  t.truthy(await createRequestSignatureVerifier({ keys }).verify(malleated), 'the second form verifies on its own');

  const verifier = createRequestSignatureVerifier({ keys, replay: { store: createMemoryStore() } });
  t.truthy(await verifier.verify(request));
  t.is((await rejectionOf(verifier.verify(malleated))).code, 'ERR_HTTPSIG_REPLAYED');
  // And the other way round: the other form first, the original after.
  const other = await signed();
  t.truthy(await verifier.verify(withOtherS(other)));
  t.is((await rejectionOf(verifier.verify(other))).code, 'ERR_HTTPSIG_REPLAYED');
});
