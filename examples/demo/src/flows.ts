/**
 * Every flow the demo walks, defined once: `npm run demo` prints them as a table and
 * `test/e2e/flows.test.ts` asserts them, against every sample API. Tokens come from the dev AS's
 * token endpoint, revocation and introspection hit the AS, DPoP proofs come from oauth4webapi.
 */
import type * as oauth from 'oauth4webapi';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { challengeOf } from './challenge.js';
import { loadCertificates, type DemoCertificates } from './certificates.js';
import { callApi, discover, dpopHandle, requestToken, resend, revokeToken } from './client.js';
import { observe, stepFailed, type Expected, type Observation } from './observe.js';
import { DEMO_SETTINGS, type DemoSettings } from './settings.js';

/** What every flow needs: the discovered AS, the APIs' settings and the client certificates. */
export interface FlowContext {
  readonly as: oauth.AuthorizationServer;
  readonly settings: DemoSettings;
  readonly certificates: DemoCertificates;
  /** Requests the AS's introspection endpoint has received so far (the {@link SCALE_OUT_FLOWS} need it). */
  readonly introspectionRequests?: () => number;
  /** Tokens the AS has issued by token exchange so far (the exchange flows need it). */
  readonly tokensExchanged?: () => number;
}

/** One sample API under test. */
export interface ApiTarget {
  readonly framework: string;
  /** Base URL, e.g. `http://127.0.0.1:3001`. */
  readonly url: string;
  /** A second instance of the same API sharing its Redis store (the {@link SCALE_OUT_FLOWS} need it). */
  readonly peer?: string;
}

/** One flow: a request (or a few) against an API, and what the API must answer. */
export interface Flow {
  readonly id: string;
  readonly title: string;
  readonly expected: Expected;
  run(context: FlowContext, api: ApiTarget): Promise<Observation>;
}

/** Discovers the AS at `issuer` and loads the certificates. */
export async function createFlowContext(issuer: string, settings: DemoSettings = DEMO_SETTINGS): Promise<FlowContext> {
  return { as: await discover(issuer), settings, certificates: loadCertificates() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Reads `exp` from a JWT without verifying it (only to know how long to wait). */
function expiresAt(jwt: string): number {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
  if (typeof payload.exp !== 'number') throw new Error('the token has no exp');
  return payload.exp;
}

/** The same JWT with its payload edited (scope raised to admin) and the original signature. */
function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  claims['scope'] = `${String(claims['scope'])} admin`;
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

const jwtToken = async (context: FlowContext, scope = 'orders:read'): Promise<string> =>
  (await requestToken(context.as, CLIENTS.demo, { scope, resource: RESOURCES.jwt })).access_token;

const opaqueToken = async (context: FlowContext): Promise<string> =>
  (await requestToken(context.as, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.opaque })).access_token;

/** A DPoP handle and a token bound to its key. */
async function dpopToken(context: FlowContext): Promise<{ token: string; DPoP: oauth.DPoPHandle }> {
  const DPoP = await dpopHandle(CLIENTS.demo);
  const response = await requestToken(context.as, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt, DPoP });
  if (response.token_type !== 'dpop') throw new Error(`expected a DPoP token, got token_type ${response.token_type}`);
  return { token: response.access_token, DPoP };
}

/** A proof used once at `first` (must be 200), then the very same request sent to `again`. */
async function replayProof(context: FlowContext, first: string, again: string, note: string): Promise<Observation> {
  const { token, DPoP } = await dpopToken(context);
  const used = await callApi(`${first}/me`, { token, DPoP });
  if (used.response.status !== 200) return stepFailed('first use of the proof', used.response);
  return observe(await resend(`${again}/me`, used.sent), note);
}

/** A token for `mtls-client`, bound to its certificate (the AS reads it from the proxy header). */
const mtlsToken = async (context: FlowContext): Promise<string> =>
  (await requestToken(context.as, CLIENTS.mtls, {
    scope: 'orders:read',
    resource: RESOURCES.jwt,
    headers: { [context.settings.certHeader]: context.certificates.bound },
  })).access_token;

const bearer = (token: string, extra: Record<string, string> = {}) => ({ token, headers: extra });

/** The flows, in the order the demo prints them. */
export const FLOWS: readonly Flow[] = [
  {
    id: 'no-token',
    title: 'no token',
    expected: { status: 401, scheme: 'Bearer', error: null },
    run: async (_context, api) => observe((await callApi(`${api.url}/me`)).response, 'GET /me without credentials'),
  },
  {
    id: 'jwt-scope',
    title: 'JWT with the right scope',
    expected: { status: 200, auth: { clientId: CLIENTS.demo.clientId, scopes: ['orders:read'], format: 'jwt', scheme: 'Bearer' } },
    async run(context, api) {
      const token = await jwtToken(context);
      const orders = (await callApi(`${api.url}/orders`, bearer(token))).response;
      const me = observe((await callApi(`${api.url}/me`, bearer(token))).response);
      if (orders.status !== 200) return stepFailed('GET /orders', orders);
      return { ...me, note: 'GET /orders needs orders:read; context from GET /me' };
    },
  },
  {
    id: 'jwt-missing-scope',
    title: 'JWT lacking the scope',
    expected: { status: 403, scheme: 'Bearer', error: 'insufficient_scope', scope: 'orders:read' },
    async run(context, api) {
      const { access_token: token } = await requestToken(context.as, CLIENTS.limited, { scope: 'profile:read', resource: RESOURCES.jwt });
      const { response } = await callApi(`${api.url}/orders`, bearer(token));
      const scope = challengeOf(response.wwwAuthenticate, 'Bearer')?.params['scope'] ?? '(none)';
      return observe(response, `limited-client (profile:read) → GET /orders; challenge scope=${scope}`);
    },
  },
  {
    id: 'jwt-expired',
    title: 'expired JWT',
    expected: { status: 401, scheme: 'Bearer', error: 'invalid_token' },
    async run(context, api) {
      const started = Date.now();
      const { access_token: token } = await requestToken(context.as, CLIENTS.shortLived, { scope: 'orders:read', resource: RESOURCES.jwt });
      // Past exp + clockTolerance, with a margin for whole-second rounding.
      await sleep((expiresAt(token) + context.settings.clockTolerance) * 1000 + 300 - Date.now());
      const note = `short-lived-client (2 s token), waited ${seconds(Date.now() - started)} (tolerance ${context.settings.clockTolerance} s)`;
      return observe((await callApi(`${api.url}/me`, bearer(token))).response, note);
    },
  },
  {
    id: 'jwt-tampered',
    title: 'tampered JWT',
    expected: { status: 401, scheme: 'Bearer', error: 'invalid_token' },
    async run(context, api) {
      const token = tamper(await jwtToken(context));
      return observe((await callApi(`${api.url}/admin`, bearer(token))).response, 'payload edited to add scope admin, signature kept');
    },
  },
  {
    id: 'jwe',
    title: 'encrypted JWT (JWE)',
    expected: { status: 200, auth: { clientId: CLIENTS.demo.clientId, scopes: ['orders:read'], format: 'jwt', scheme: 'Bearer' } },
    async run(context, api) {
      const { access_token: token } = await requestToken(context.as, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.encrypted });
      const note = `resource ${RESOURCES.encrypted}: a ${token.split('.').length}-part JWE, decrypted with the API's key, then verified`;
      return observe((await callApi(`${api.url}/me`, bearer(token))).response, note);
    },
  },
  {
    id: 'opaque',
    title: 'opaque token (introspection)',
    expected: { status: 200, auth: { clientId: CLIENTS.demo.clientId, scopes: ['orders:read'], format: 'opaque', scheme: 'Bearer' } },
    async run(context, api) {
      const token = await opaqueToken(context);
      return observe((await callApi(`${api.url}/me`, bearer(token))).response, `resource ${RESOURCES.opaque}, introspected at the AS`);
    },
  },
  {
    id: 'opaque-revoked',
    title: 'revoked opaque token',
    expected: { status: 401, scheme: 'Bearer', error: 'invalid_token' },
    async run(context, api) {
      const token = await opaqueToken(context);
      const before = (await callApi(`${api.url}/me`, bearer(token))).response;
      if (before.status !== 200) return stepFailed('use before revocation', before);
      await revokeToken(context.as, CLIENTS.demo, token);
      const revoked = Date.now();
      await sleep(context.settings.introspectionCacheTtl * 1000 + 300);
      const note = `200 before; revoked at the AS; ${seconds(Date.now() - revoked)} later (cache TTL ${context.settings.introspectionCacheTtl} s)`;
      return observe((await callApi(`${api.url}/me`, bearer(token))).response, note);
    },
  },
  {
    id: 'dpop',
    title: 'DPoP-bound token + valid proof',
    expected: { status: 200, auth: { clientId: CLIENTS.demo.clientId, format: 'jwt', scheme: 'DPoP', binding: 'dpop' } },
    async run(context, api) {
      const { token, DPoP } = await dpopToken(context);
      return observe((await callApi(`${api.url}/me`, { token, DPoP })).response, 'proof signed by oauth4webapi');
    },
  },
  {
    id: 'dpop-as-bearer',
    title: 'DPoP-bound token sent as Bearer',
    expected: { status: 401, scheme: 'Bearer', error: 'invalid_token' },
    async run(context, api) {
      const { token } = await dpopToken(context);
      return observe((await callApi(`${api.url}/me`, bearer(token))).response, 'Authorization: Bearer, no proof');
    },
  },
  {
    id: 'dpop-replay',
    title: 'replayed DPoP proof',
    expected: { status: 401, scheme: 'DPoP', error: 'invalid_dpop_proof' },
    run: (context, api) => replayProof(context, api.url, api.url, 'first use 200; the same proof again'),
  },
  {
    id: 'mtls',
    title: 'mTLS-bound token, right cert',
    expected: { status: 200, auth: { clientId: CLIENTS.mtls.clientId, format: 'jwt', scheme: 'Bearer', binding: 'mtls' } },
    async run(context, api) {
      const token = await mtlsToken(context);
      const headers = { [context.settings.certHeader]: context.certificates.bound };
      return observe((await callApi(`${api.url}/me`, bearer(token, headers))).response, `mtls-client's certificate in ${context.settings.certHeader}`);
    },
  },
  {
    id: 'mtls-wrong-cert',
    title: 'mTLS-bound token, other cert',
    expected: { status: 401, scheme: 'Bearer', error: 'invalid_token' },
    async run(context, api) {
      const token = await mtlsToken(context);
      const headers = { [context.settings.certHeader]: context.certificates.other };
      return observe((await callApi(`${api.url}/me`, bearer(token, headers))).response, `another certificate in ${context.settings.certHeader}`);
    },
  },
];

/**
 * Two instances of one API sharing a Redis store (`REDIS_URL`; the second with `DPOP_BASE_URL` set
 * to the first one's origin, as behind one load balancer). Run one at a time: the introspection
 * count must not see other flows' calls.
 */
export const SCALE_OUT_FLOWS: readonly Flow[] = [
  {
    id: 'shared-replay',
    title: 'proof replayed to the other instance',
    expected: { status: 401, scheme: 'DPoP', error: 'invalid_dpop_proof' },
    run: (context, api) => replayProof(context, api.url, peerOf(api), 'first instance 200; the same proof to the second instance'),
  },
  {
    id: 'shared-introspection',
    title: 'opaque token on both instances',
    expected: { status: 200 },
    async run(context, api) {
      const token = await opaqueToken(context);
      const count = context.introspectionRequests;
      if (count === undefined) throw new Error('this flow needs the AS\'s introspection count');
      const before = count();
      const first = await callApi(`${api.url}/me`, bearer(token));
      if (first.response.status !== 200) return stepFailed('first instance', first.response);
      const second = await callApi(`${peerOf(api)}/me`, bearer(token));
      const calls = count() - before;
      // The note, not the user context, is what this row shows.
      const { auth, ...seen } = observe(second.response, `both instances 200 (opaque); introspection calls at the AS: ${calls}`);
      if (auth !== undefined && auth.format !== 'opaque') return { ...seen, failedStep: `format ${auth.format ?? '-'}, expected opaque` };
      return calls === 1 ? seen : { ...seen, failedStep: `introspection calls at the AS: ${calls}, expected 1 (one shared cache)` };
    },
  },
];

function peerOf(api: ApiTarget): string {
  if (api.peer === undefined) throw new Error('this flow needs a second instance of the API');
  return api.peer;
}
