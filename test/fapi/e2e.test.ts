/**
 * A FAPI 2.0 run end to end on every adapter: the real dev authorization server (oidc-provider)
 * issues DPoP-bound tokens to the real client library (oauth4webapi), which calls an API guarded
 * with `fapi: '2.0'`. A DPoP-bound JWT and a DPoP-bound opaque token (introspected) are accepted;
 * with server nonces on, oauth4webapi answers the `use_dpop_nonce` challenge as FAPI 2.0 clients
 * must (§5.3.3.1-8) and gets in; a plain bearer token from the same authorization server is
 * refused with the DPoP challenge (§5.3.4-5).
 */
import test, { type ExecutionContext } from 'ava';
import * as oauth from 'oauth4webapi';
import type { GuardOptions } from '@resource-guard/core';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { FRAMEWORKS, startApp, type Framework } from '../helpers/apps.js';
import { parseChallenges } from '../helpers/challenge.js';
import { getToken, insecure, startDevAs, type DevAs } from '../helpers/dev-as.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

const quiet = { logger: { warn() {}, error() {} }, logRejections: false, httpTimeout: 30_000 };
const jwtApi = (extra: Partial<GuardOptions> = {}): GuardOptions => ({ issuer: dev.server.issuer, audience: RESOURCES.jwt, fapi: '2.0', ...quiet, ...extra });
const opaqueApi = (): GuardOptions => ({
  issuer: dev.server.issuer,
  audience: RESOURCES.opaque,
  fapi: '2.0',
  ...quiet,
  introspection: { clientId: CLIENTS.resourceServer.clientId, clientSecret: CLIENTS.resourceServer.clientSecret, timeout: 30_000 },
});

const newHandle = async () => oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }));

/** Calls the API as an oauth4webapi application does, retrying once on `use_dpop_nonce`. */
async function callApi(url: string, token: string, DPoP?: oauth.DPoPHandle) {
  const call = () => oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, { DPoP, ...insecure });
  let response: Response;
  let nonceRetries = 0;
  try {
    response = await call();
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    response = error.response;
    if (DPoP !== undefined && oauth.isDPoPNonceError(error)) {
      nonceRetries += 1;
      response = await call();
    }
  }
  return {
    status: response.status,
    body: await response.text(),
    nonceRetries,
    challenges: response.status === 401 ? parseChallenges(response.headers.get('www-authenticate') ?? undefined) : [],
  };
}

const lastCode = (errors: unknown[]) => (errors.at(-1) as { code?: string } | undefined)?.code;

async function assertFapiFlow(t: ExecutionContext, framework: Framework, options: GuardOptions, resource: string, expectNonce = false) {
  const handle = await newHandle();
  const tokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource, DPoP: handle });
  t.is(tokens.token_type, 'dpop', 'the AS issued a DPoP-bound token');
  const app = await startApp(framework, options);
  try {
    const url = `${app.url}/protected`;
    const ok = await callApi(url, tokens.access_token, handle);
    t.is(ok.status, 200, 'a DPoP-bound token with a proof by its key');
    t.is(ok.nonceRetries, expectNonce ? 1 : 0, 'the nonce challenge, answered by the client');
    t.like((JSON.parse(ok.body) as { auth: Record<string, unknown> }).auth, { scheme: 'DPoP', clientId: CLIENTS.demo.clientId });
    t.is((await callApi(url, tokens.access_token, handle)).status, 200, 'again, with a fresh proof');

    const bearer = await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource });
    t.is(bearer.token_type, 'bearer', 'the same AS issues unbound tokens to clients that ask so');
    const refused = await callApi(url, bearer.access_token);
    t.is(refused.status, 401, 'an unbound bearer token');
    t.deepEqual(refused.challenges.map((challenge) => challenge.scheme), ['Bearer', 'DPoP'], 'the DPoP challenge is offered');
    t.is(refused.challenges[0]!.params.error, 'invalid_token');
    t.is(lastCode(app.errors), 'ERR_FAPI_SENDER_CONSTRAINT_REQUIRED');
    t.false(refused.body.includes(bearer.access_token), 'never the token');
  } finally {
    await app.close();
  }
}

for (const framework of FRAMEWORKS) {
  test(`[${framework}] FAPI 2.0: a DPoP-bound JWT from the dev AS is accepted, its bearer token refused`, (t) => assertFapiFlow(t, framework, jwtApi(), RESOURCES.jwt));
}

test('[express] FAPI 2.0 with server nonces: oauth4webapi answers use_dpop_nonce and gets in', (t) => (
  assertFapiFlow(t, 'express', jwtApi({ dpop: { nonce: true } }), RESOURCES.jwt, true)
));

test('[koa] FAPI 2.0 with introspection: a DPoP-bound opaque token is accepted, a bearer one refused', (t) => (
  assertFapiFlow(t, 'koa', opaqueApi(), RESOURCES.opaque)
));
