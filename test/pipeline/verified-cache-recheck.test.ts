/**
 * A verified-token cache hit answers as a miss would at the same moment, for every check whose
 * input can change after the token was verified: the tenant lookup of issuer templates (a
 * `tenants` predicate over a live allow-list), the user's `validators` (a deny list), the clock.
 * Each case verifies a token once (a miss), again (a hit: no signature verification, counted),
 * changes the input, and compares the hit's verdict with a fresh guard's (a miss) on every adapter.
 */
import test from 'ava';
import { createGuard, type GuardError, type GuardErrorCode, type GuardOptions } from '@resource-guard/core';
import { FRAMEWORKS, startApp, type TestApp } from '../helpers/apps.js';
import { send } from '../helpers/http.js';
import { bearerRequest, rejectionOf, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import { countKeyOperations, type KeyOperationCounter } from '../helpers/key-operations.js';

const API = 'api://orders';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const quiet = { warn() {}, error() {} };

let entra: MockIssuer;
let counter: KeyOperationCounter;
test.before(async () => {
  entra = await startMockIssuer('RS256');
  counter = countKeyOperations();
});
test.after.always(async () => {
  counter?.restore();
  await entra?.close();
});

const origin = () => new URL(entra.issuer).origin;
const entraToken = (claims: Record<string, unknown> = {}) => entra.sign({
  iss: `${origin()}/${TENANT}/v2.0`, tid: TENANT, ver: '2.0', azp: 'client-app', scp: 'Orders.Read', aud: API, client_id: undefined, scope: undefined, ...claims,
}, { header: { typ: 'JWT' } });

const bearer = (app: TestApp, token: string) => send(`${app.url}/protected`, { headers: { authorization: `Bearer ${token}` } });

interface RecheckCase {
  title: string;
  /** Guard options reading the live `state`. */
  options(state: Set<string>): GuardOptions;
  token(): Promise<string>;
  /** Changes the input the check reads (off-boards the tenant, revokes the token). */
  change(state: Set<string>): void;
  code: GuardErrorCode;
}

const CASES: readonly RecheckCase[] = [
  {
    title: 'a tenants predicate over a live allow-list: an off-boarded tenant',
    options: (onboarded) => ({
      profile: 'entra', issuer: `${origin()}/{tenantid}/v2.0`, jwksUri: entra.jwksUri, audience: API, logger: quiet,
      tenants: (tenant) => onboarded.has(tenant), verifiedTokenCache: true,
    }),
    token: () => entraToken(),
    change: (onboarded) => onboarded.delete(TENANT),
    code: 'ERR_JWT_ISSUER_UNTRUSTED',
  },
  {
    title: 'a validator over a live deny list: a revoked jti',
    options: (allowed) => ({
      issuer: entra.issuer, audience: API, logger: quiet, verifiedTokenCache: true,
      validators: { jti: (jti) => allowed.has(jti as string) },
    }),
    token: () => entra.sign({ aud: API, jti: TENANT }),
    change: (allowed) => allowed.delete(TENANT),
    code: 'ERR_TOKEN_VALIDATOR_FAILED',
  },
];

for (const framework of FRAMEWORKS) {
  for (const item of CASES) {
    test.serial(`[${framework}] ${item.title}: the hit is refused as a miss is, at the same moment`, async (t) => {
      const state = new Set([TENANT]);
      const app = await startApp(framework, item.options(state));
      try {
        const token = await item.token();
        t.is((await bearer(app, token)).status, 200, 'the miss');
        counter.reset();
        t.is((await bearer(app, token)).status, 200, 'the hit');
        t.is(counter.verify, 0, 'a hit: no signature verified');
        item.change(state);
        const response = await bearer(app, token);
        t.is(response.status, 401);
        t.is((app.errors.at(-1) as GuardError).code, item.code);
        t.is(counter.verify, 0, 'still answered from the cache entry');
        // The same moment, a guard that never saw the token (a miss): the same verdict.
        const miss = await rejectionOf(createGuard(item.options(state)).verify(bearerRequest(token)));
        t.is(miss.code, item.code);
      } finally {
        await app.close();
      }
    });
  }
}

test.serial('the issuer lookup re-runs on hits only where it can change (tenants), and costs no second call on a miss', async (t) => {
  const calls: string[] = [];
  const guard = createGuard({
    profile: 'entra', issuer: `${origin()}/{tenantid}/v2.0`, jwksUri: entra.jwksUri, audience: API, logger: quiet, verifiedTokenCache: true,
    tenants: (tenant) => {
      calls.push(tenant);
      return true;
    },
  });
  const token = await entraToken();
  await guard.verify(bearerRequest(token));
  t.is(calls.length, 1, 'a miss asks once');
  await guard.verify(bearerRequest(token));
  t.is(calls.length, 2, 'a hit asks again');
});
