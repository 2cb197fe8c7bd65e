/**
 * DPoP end to end: the real dev authorization server (oidc-provider) issues DPoP-bound tokens to
 * the real client library (oauth4webapi), which then calls the protected API on EVERY adapter
 * with its own proofs. A DPoP-bound JWT (validated locally) and a DPoP-bound opaque token
 * (introspected; the AS reports `cnf.jkt` and `token_type: DPoP`) are accepted; the same tokens
 * are rejected with a proof by another key and when sent as Bearer.
 */
import test, { type ExecutionContext } from 'ava';
import * as oauth from 'oauth4webapi';
import type { GuardOptions } from '@resource-guard/core';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { FRAMEWORKS, startApp, type Framework } from '../helpers/apps.js';
import { parseChallenges } from '../helpers/challenge.js';
import { decodeJwt, getToken, insecure, introspect, startDevAs, type DevAs } from '../helpers/dev-as.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

const jwtApi = (): GuardOptions => ({ issuer: dev.server.issuer, audience: RESOURCES.jwt, httpTimeout: 30_000, logger: { warn() {}, error() {} } });
const opaqueApi = (): GuardOptions => ({
  issuer: dev.server.issuer,
  audience: RESOURCES.opaque,
  logger: { warn() {}, error() {} },
  httpTimeout: 30_000,
  introspection: { clientId: CLIENTS.resourceServer.clientId, clientSecret: CLIENTS.resourceServer.clientSecret, timeout: 30_000 },
});

async function newHandle(): Promise<oauth.DPoPHandle> {
  return oauth.DPoP({}, await oauth.generateKeyPair('ES256', { extractable: true }));
}

/** Calls the API the way an application using oauth4webapi would; returns status and challenges. */
async function callApi(url: string, token: string, DPoP?: oauth.DPoPHandle) {
  let response: Response;
  try {
    response = await oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, { DPoP, ...insecure });
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    response = error.response;
  }
  const body = await response.text();
  return {
    status: response.status,
    body,
    challenges: response.status === 401 ? parseChallenges(response.headers.get('www-authenticate') ?? undefined) : [],
  };
}

async function assertFlows(t: ExecutionContext, framework: Framework, options: GuardOptions, resource: string, format: 'jwt' | 'opaque') {
  const handle = await newHandle();
  const tokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource, DPoP: handle });
  t.is(tokens.token_type, 'dpop', 'the AS issued a DPoP-bound token');
  const token = tokens.access_token;
  const jkt = await handle.calculateThumbprint();
  if (format === 'jwt') t.deepEqual(decodeJwt(token).payload.cnf, { jkt });
  else t.like(await introspect(dev, token), { active: true, cnf: { jkt } });

  const app = await startApp(framework, options);
  try {
    const url = `${app.url}/protected`;
    const ok = await callApi(url, token, handle);
    t.is(ok.status, 200, 'accepted with a proof by the bound key');
    const { auth } = JSON.parse(ok.body) as { auth: Record<string, unknown> };
    t.like(auth, { scheme: 'DPoP', format, clientId: CLIENTS.demo.clientId, confirmation: { jkt } });
    t.is((await callApi(url, token, handle)).status, 200, 'a second request with a fresh proof');

    const otherKey = await callApi(url, token, await newHandle());
    t.is(otherKey.status, 401, 'a proof by another key');
    t.is(otherKey.challenges.find((challenge) => challenge.scheme === 'DPoP')?.params.error, 'invalid_token');
    t.is((app.errors.at(-1) as { code?: string }).code, 'ERR_DPOP_BINDING_MISMATCH');

    const asBearer = await callApi(url, token);
    t.is(asBearer.status, 401, 'sent as Bearer');
    t.is(asBearer.challenges.find((challenge) => challenge.scheme === 'Bearer')?.params.error, 'invalid_token');
    t.is((app.errors.at(-1) as { code?: string }).code, 'ERR_DPOP_BEARER_DOWNGRADE');

    t.is(app.handlerCalls, 2);
    t.false(ok.body.includes(token) || otherKey.body.includes(token) || asBearer.body.includes(token), 'token never echoed');
  } finally {
    await app.close();
  }
}

for (const framework of FRAMEWORKS) {
  test(`[${framework}] a DPoP-bound JWT from the dev AS: accepted with its key, rejected with another key and as Bearer`, async (t) => {
    await assertFlows(t, framework, jwtApi(), RESOURCES.jwt, 'jwt');
  });

  test(`[${framework}] a DPoP-bound opaque token (introspection): accepted with its key, rejected with another key and as Bearer`, async (t) => {
    await assertFlows(t, framework, opaqueApi(), RESOURCES.opaque, 'opaque');
  });

  test(`[${framework}] dpop.required with nonces: an unbound token is refused, a bound one passes after the nonce retry`, async (t) => {
    const app = await startApp(framework, { ...jwtApi(), dpop: { required: true, nonce: true } });
    try {
      const url = `${app.url}/protected`;
      const unbound = (await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt })).access_token;
      const refused = await callApi(url, unbound);
      t.is(refused.status, 401);
      t.deepEqual(refused.challenges.map((challenge) => challenge.scheme), ['DPoP']);

      const handle = await newHandle();
      const token = (await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt, DPoP: handle })).access_token;
      let response: Response | undefined;
      for (let attempt = 0; attempt < 2 && response === undefined; attempt += 1) {
        try {
          response = await oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, { DPoP: handle, ...insecure });
        } catch (error) {
          if (!oauth.isDPoPNonceError(error) || attempt > 0) throw error; // the documented oauth4webapi retry
        }
      }
      t.is(response?.status, 200);
    } finally {
      await app.close();
    }
  });
}
