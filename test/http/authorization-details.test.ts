/**
 * RFC 9396 rich authorization requests over HTTP, on every adapter: `requireAuthorizationDetails()`
 * on the `/details` route (a `payment_initiation` entry with action `initiate` in EUR), from a
 * JWT claim (§9.1) and from an introspection answer (§9.2); malformed details are a 401 on any
 * route; the 403 names the configured type and never a value from the token.
 */
import test from 'ava';
import type { GuardOptions } from '@resource-guard/core';
import { parseChallenges } from '../helpers/challenge.js';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import { CLIENT_ID, CLIENT_SECRET, activeBody, useScriptedEndpoint } from '../helpers/introspection.js';

const endpoint = useScriptedEndpoint(test);

// A value of the token that no rejection may echo (a 200 echoes the context on purpose).
const SECRET_VALUE = 'DE02100100109307118603';
const payment = (overrides: Record<string, unknown> = {}) => ({
  type: 'payment_initiation',
  actions: ['initiate', 'status'],
  locations: ['https://example.com/payments'],
  instructedAmount: { currency: 'EUR', amount: '123.50' },
  creditorAccount: { iban: SECRET_VALUE },
  ...overrides,
});

async function sendJwt(context: CaseContext, details: unknown, path = '/details') {
  const token = await context.issuer.sign({ authorization_details: details });
  const response = await context.bearer(token, path);
  return { response, secrets: response.status === 200 ? [token] : [token, SECRET_VALUE] };
}

let counter = 0;
async function sendOpaque(context: CaseContext, details: unknown, path = '/details') {
  counter += 1;
  const token = `opaque-details-${context.app.framework}-${counter}`;
  endpoint.script.set(token, { body: activeBody({ authorization_details: details }) });
  const response = await context.bearer(token, path);
  return { response, secrets: response.status === 200 ? [token] : [token, SECRET_VALUE] };
}

const introspection = (): Partial<GuardOptions> => ({
  introspection: { endpoint: endpoint.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
});

const insufficient = { status: 403, error: 'insufficient_scope', code: 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT' };
const malformed = { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID' };

function namesType(t: Parameters<NonNullable<HttpCase['check']>>[0], _c: CaseContext, response: { headers: Record<string, unknown> }) {
  const bearer = parseChallenges(response.headers['www-authenticate'] as string).find((challenge) => challenge.scheme === 'Bearer');
  t.is(bearer?.params.authorization_details_types, 'payment_initiation');
  t.is(bearer?.params.scope, undefined, 'authorization details are not scopes');
}

const table: HttpCase[] = [
  {
    title: 'authorization_details: a JWT with a matching entry → 200, auth.authorizationDetails typed and deep-frozen',
    run: (c) => sendJwt(c, [{ type: 'account_information', actions: ['read'] }, payment()]),
    expect: { status: 200 },
    check(t, _c, response) {
      const { auth } = JSON.parse(response.body) as { auth: { authorizationDetails: unknown[] } };
      t.is(auth.authorizationDetails.length, 2);
      t.like(auth.authorizationDetails[1], { type: 'payment_initiation', actions: ['initiate', 'status'] });
    },
  },
  {
    title: 'authorization_details: an introspection answer with a matching entry → 200',
    options: introspection,
    run: (c) => sendOpaque(c, [payment()]),
    expect: { status: 200 },
  },
  {
    title: 'authorization_details: a JWT without the claim → 403 insufficient_scope naming the type',
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.bearer(token, '/details'), secrets: [token] };
    },
    expect: insufficient,
    check: namesType,
  },
  {
    title: 'authorization_details: only an entry of another type → 403, the token\'s type not echoed',
    run: (c) => sendJwt(c, [payment({ type: 'account_information_secret_type' })]),
    expect: insufficient,
    check(t, c, response) {
      namesType(t, c, response);
      t.false(JSON.stringify(response.headers).includes('account_information_secret_type'));
      t.false(response.body.includes('account_information_secret_type'));
    },
  },
  {
    title: 'authorization_details: the type without the required action → 403',
    run: (c) => sendJwt(c, [payment({ actions: ['status'] })]),
    expect: insufficient,
    check: namesType,
  },
  {
    title: 'authorization_details: the type and action, refused by match (USD) → 403',
    run: (c) => sendJwt(c, [payment({ instructedAmount: { currency: 'USD', amount: '1' } })]),
    expect: insufficient,
  },
  {
    title: 'authorization_details: an introspection answer whose entry match refuses → 403',
    options: introspection,
    run: (c) => sendOpaque(c, [payment({ instructedAmount: { currency: 'USD', amount: '1' } })]),
    expect: insufficient,
  },
  {
    title: 'authorization_details: not an array (an object) → 401 invalid_token on any route',
    run: (c) => sendJwt(c, payment(), '/protected'),
    expect: malformed,
  },
  {
    title: 'authorization_details: an entry without type → 401 invalid_token',
    run: (c) => sendJwt(c, [payment({ type: undefined })]),
    expect: malformed,
  },
  {
    title: 'authorization_details: an entry that is a string → 401 invalid_token',
    run: (c) => sendJwt(c, ['payment_initiation']),
    expect: malformed,
  },
  {
    title: 'authorization_details: actions as a string (a substring test waiting to happen) → 401 invalid_token',
    run: (c) => sendJwt(c, [payment({ actions: 'reinitiate' })]),
    expect: malformed,
  },
  {
    title: 'authorization_details: more than 100 entries → 401 invalid_token',
    run: (c) => sendJwt(c, Array.from({ length: 101 }, () => ({ type: 'x' }))),
    expect: malformed,
  },
  {
    title: 'authorization_details: an introspection answer with an entry without type → 401 invalid_token',
    options: introspection,
    run: (c) => sendOpaque(c, [{ actions: ['initiate'] }]),
    expect: malformed,
  },
];

runCaseTable(test, table);
