/**
 * Token exchange end to end (RFC 8693) against the real dev authorization server, with DPoP-bound
 * exchanged tokens (RFC 9449): the exchange carries a proof, every downstream call a fresh one.
 * Node-only: the proofs are signed with a private key, which needs `node:crypto` (the WebCrypto
 * backend refuses `tokenExchange.dpop` at start-up, see packages/core/src/crypto/web-backend.ts).
 * The rest of the end-to-end exchange is in e2e.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import test from 'ava';
import { RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { verifyCaller } from '../helpers/exchange.js';
import { useExchangeE2e } from '../helpers/exchange-e2e.js';

const e2e = useExchangeE2e(test);
const { ordersGuard, exchangeOf, callerToken } = e2e;

test.serial('DPoP-bound exchanged tokens: the exchange carries a proof, downstreamFetch a fresh one per call; the inventory API checks the binding', async (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const guard = ordersGuard();
  const exchange = exchangeOf(guard, { dpop: { key: privateKey, alg: 'ES256' } });
  const auth = await verifyCaller(guard, await callerToken());
  const seen = e2e.inventory.requests.length;
  const issued = await exchange.exchangeToken(auth, { audience: RESOURCES.inventory });
  t.is(issued.tokenType, 'DPoP');
  for (let call = 0; call < 2; call += 1) {
    t.is((await exchange.downstreamFetch(auth, `${e2e.inventory.url}/stock`, undefined, { audience: RESOURCES.inventory })).status, 200);
  }
  const sent = e2e.inventory.requests.slice(seen);
  t.true(sent.every((request) => request.headers.authorization === `DPoP ${issued.accessToken}`));
  t.not(sent[0]!.headers.dpop, sent[1]!.headers.dpop, 'a fresh proof per call');
  // Without its proof the bound token is refused downstream.
  const bare = await fetch(`${e2e.inventory.url}/stock`, { headers: { authorization: `DPoP ${issued.accessToken}` } });
  t.is(bare.status, 401);
  const proof = await exchange.createDpopProof({ method: 'GET', url: `${e2e.inventory.url}/stock`, accessToken: issued.accessToken });
  t.is((await fetch(`${e2e.inventory.url}/stock`, { headers: { authorization: `DPoP ${issued.accessToken}`, dpop: proof } })).status, 200, 'the proof helper works for calls made by hand');
  await t.throwsAsync(exchangeOf(guard).createDpopProof({ method: 'GET', url: e2e.inventory.url }), { instanceOf: TypeError });
});
