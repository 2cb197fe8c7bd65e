/**
 * The FAPI 2.0 preset on RFC 9701 introspection answers: the issuer's keys the profile forbids
 * (EdDSA over Ed448, §5.4.1-1) verify no answer, as they verify no access token. Each refusal is
 * shown next to the same answer accepted without the preset.
 */
import { sign as cryptoSign } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { clientHandle, clientProof } from '../helpers/dpop.js';
import {
  CLIENT_ID, activeBody, assertRejected, jwtAnswer, optionsFor, requestWith, signIntrospectionJwt, startEndpoint, type Answer,
} from '../helpers/introspection.js';
import { createEd448Key, rawJws, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

const URL_ = 'https://api.example.test/orders';

/** A mock issuer, an endpoint answering `answer(issuer)` to each call, and guards asking it for RFC 9701 answers. */
async function setup(t: ExecutionContext, answer: (issuer: MockIssuer) => Promise<Answer> | Answer) {
  const issuer = await startMockIssuer('ES256');
  t.teardown(() => issuer.close());
  const endpoint = await startEndpoint(async () => answer(issuer));
  t.teardown(() => endpoint.close());
  const guardWith = (overrides: Partial<GuardOptions>) => createGuard({
    ...optionsFor(endpoint.url, { jwtResponse: true, cacheTtl: 0 }), issuer: issuer.issuer, ...overrides,
  });
  return { issuer, endpoint, guardWith };
}

/** A DPoP request for an opaque token bound (by the answer's `cnf.jkt`) to a fresh ES256 client key. */
async function boundClient() {
  const { handle, jkt } = await clientHandle('ES256');
  const token = 'opaque-dpop-bound';
  return { jkt, request: async () => requestWith(token, 'DPoP', { dpop: await clientProof(handle, token, URL_) }) };
}

test('§5.4.1-1: an RFC 9701 answer signed with EdDSA over an Ed448 JWKS key is refused under the preset, accepted without', async (t) => {
  const client = await boundClient();
  const ed448 = createEd448Key();
  const { guardWith, endpoint } = await setup(t, (issuer) => {
    if (!issuer.published.includes(ed448)) issuer.published.push(ed448);
    const claims = {
      iss: issuer.issuer, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000),
      token_introspection: activeBody({ iss: issuer.issuer, cnf: { jkt: client.jkt } }),
    };
    const jwt = rawJws({ alg: 'EdDSA', kid: ed448.kid, typ: 'token-introspection+jwt' }, claims, (input) => cryptoSign(null, input, ed448.privateKey));
    return jwtAnswer(jwt);
  });

  const accepted = await guardWith({ algorithms: ['ES256', 'EdDSA'] }).verify(await client.request());
  t.is(accepted.subject, 'user-123', 'the same answer is accepted without the preset');

  const error = await assertRejected(t, guardWith({ fapi: '2.0' }).verify(await client.request()), {
    status: 503, code: 'ERR_INTROSPECTION_JWT_KEY_NOT_ALLOWED',
  });
  t.regex(error.detail ?? '', /curve "Ed448"; EdDSA is allowed with Ed25519 only \(FAPI 2\.0 Security Profile §5\.4\.1-1\)/);
  t.is(endpoint.calls.length, 2, 'each guard asked the endpoint once');
});

test('§5.4.1-1: under the preset, an answer signed by an Ed25519 or ES256 key still passes', async (t) => {
  const client = await boundClient();
  for (const alg of ['EdDSA', 'ES256']) {
    const { guardWith } = await setup(t, async (issuer) => {
      const key = issuer.createKey(alg);
      issuer.published.push(key);
      return jwtAnswer(await signIntrospectionJwt(issuer, {
        token_introspection: activeBody({ iss: issuer.issuer, cnf: { jkt: client.jkt } }),
      }, {}, key));
    });
    t.is((await guardWith({ fapi: '2.0' }).verify(await client.request())).subject, 'user-123', alg);
  }
});

test('§5.4.1-1: under the preset, an answer whose kid matches no key is still a bad signature, not a key refusal', async (t) => {
  const client = await boundClient();
  const { guardWith } = await setup(t, async (issuer) => jwtAnswer(await signIntrospectionJwt(issuer, {
    token_introspection: activeBody({ iss: issuer.issuer, cnf: { jkt: client.jkt } }),
  }, { kid: 'no-such-key' })));
  await assertRejected(t, guardWith({ fapi: '2.0' }).verify(await client.request()), { status: 503, code: 'ERR_INTROSPECTION_JWT_SIGNATURE_INVALID' });
});
