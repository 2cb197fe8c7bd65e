/**
 * The token-exchange client where it signs with a private key: a DPoP key checked against its alg,
 * `private_key_jwt` client assertions (RFC 7523), and DPoP proofs (RFC 9449) with the nonce retries
 * at the token endpoint and downstream. Node-only: private keys need `node:crypto` (the WebCrypto
 * backend refuses them at start-up, see packages/core/src/crypto/web-backend.ts). The rest of the
 * client is in client.test.ts.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import test from 'ava';
import { decodeJwt, decodeProtectedHeader, jwtVerify, createLocalJWKSet, exportJWK } from 'jose';
import { createTokenExchange } from '@resource-guard/core/exchange';
import { json, okHandler, useExchangeSuite } from '../helpers/token-endpoint.js';

const { endpoint, base, guardOf, callerOf, target } = useExchangeSuite(test);

test.serial('options: a DPoP key that cannot sign its alg is a TypeError naming the option', (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  t.throws(() => createTokenExchange(guardOf(), { ...base(), dpop: { key: privateKey, alg: 'RS256' } }), {
    instanceOf: TypeError, message: /"tokenExchange.dpop.key" .* cannot sign RS256/,
  });
});

test.serial('private_key_jwt: a fresh assertion per call, aud = the token endpoint, by the same client-auth code as introspection', async (t) => {
  endpoint.handler = okHandler();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const guard = guardOf();
  const exchange = createTokenExchange(guard, { clientId: 'api', clientAuth: 'private_key_jwt', privateKeyJwt: { key: privateKey, alg: 'ES256' }, tokenEndpoint: endpoint.url });
  await exchange.exchangeToken(await callerOf(guard), target);
  const { body, headers } = endpoint.calls.at(-1)!;
  t.is(headers.authorization, undefined);
  t.is(body.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  const { payload } = await jwtVerify(body.get('client_assertion')!, createLocalJWKSet({ keys: [{ ...await exportJWK(publicKey), alg: 'ES256' }] }), { audience: endpoint.url });
  t.is(payload.iss, 'api');
  t.is(payload.sub, 'api');
  // Refused: the detail names the aud that was sent and the option that changes it.
  endpoint.handler = (_q, _b, r) => json(r, 401, { error: 'invalid_client' });
  const error = await t.throwsAsync(createTokenExchange(guard, {
    clientId: 'api', clientAuth: 'private_key_jwt', privateKeyJwt: { key: privateKey, alg: 'ES256', audience: 'https://issuer.test' }, tokenEndpoint: endpoint.url,
  }).exchangeToken(await callerOf(guard), target));
  t.like(error, { code: 'ERR_EXCHANGE_CLIENT_REJECTED' });
  t.regex(String((error as { detail?: string }).detail), /assertion's aud was "https:\/\/issuer\.test".*"tokenExchange\.privateKeyJwt\.audience"$/);
  endpoint.handler = okHandler();
});

test.serial('downstream: a DPoP use_dpop_nonce 401 is retried once with the nonce; a body that cannot be sent again is not; other 401s drop the cache', async (t) => {
  endpoint.handler = (_request, _body, response) => json(response, 200, { access_token: 'bound', token_type: 'DPoP', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 300 });
  const seen: Array<{ nonce: unknown; body: string }> = [];
  const downstream = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const nonce = decodeJwt(String(request.headers.dpop)).nonce;
      t.is(decodeProtectedHeader(String(request.headers.dpop)).typ, 'dpop+jwt');
      seen.push({ nonce, body: Buffer.concat(chunks).toString('utf8') });
      if (nonce === 'n-1') return void response.writeHead(200).end('ok');
      response.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': 'n-1' }).end();
    });
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => downstream.close(() => resolve())));
  const url = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/stock`;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const guard = guardOf();
  const exchange = createTokenExchange(guard, { ...base(), dpop: { key: privateKey, alg: 'ES256' } });
  const auth = await callerOf(guard);
  const response = await exchange.downstreamFetch(auth, url, { method: 'POST', body: 'a=1' }, target);
  t.is(response.status, 200);
  t.deepEqual(seen, [{ nonce: undefined, body: 'a=1' }, { nonce: 'n-1', body: 'a=1' }]);

  const calls = endpoint.calls.length;
  const stream = new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode('s')); controller.close(); } });
  const refused = await exchange.downstreamFetch(auth, url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit, target);
  t.is(refused.status, 401, 'a stream body is not sent twice');
  await exchange.exchangeToken(auth, target);
  t.is(endpoint.calls.length - calls, 1, 'the 401 dropped the cached token');
});

test.serial('DPoP nonces at the token endpoint: use_dpop_nonce is retried once with the nonce, which is kept for the next exchange; asked again → 503', async (t) => {
  const nonceOf = (request: IncomingMessage) => decodeJwt(String(request.headers.dpop)).nonce;
  const bound = { access_token: 'bound', token_type: 'DPoP', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 300 };
  endpoint.handler = (request, _body, response) => {
    if (nonceOf(request) === 'n-1') return json(response, 200, bound);
    response.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': 'n-1' }).end(JSON.stringify({ error: 'use_dpop_nonce' }));
  };
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const guard = guardOf();
  const exchange = createTokenExchange(guard, { ...base(), dpop: { key: privateKey, alg: 'ES256' } });
  const auth = await callerOf(guard);
  let calls = endpoint.calls.length;
  t.is((await exchange.exchangeToken(auth, { audience: 'https://n1.test' })).tokenType, 'DPoP');
  t.is(endpoint.calls.length - calls, 2);
  calls = endpoint.calls.length;
  await exchange.exchangeToken(auth, { audience: 'https://n2.test' });
  t.is(endpoint.calls.length - calls, 1, 'the kept nonce is sent at once');
  endpoint.handler = (_request, _body, response) => {
    response.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': `n-${endpoint.calls.length}` }).end(JSON.stringify({ error: 'use_dpop_nonce' }));
  };
  calls = endpoint.calls.length;
  const error = await t.throwsAsync(exchange.exchangeToken(auth, { audience: 'https://n3.test' }));
  t.like(error, { code: 'ERR_EXCHANGE_UNAVAILABLE', status: 503 });
  t.is(endpoint.calls.length - calls, 2, 'one retry, not a loop');
});
