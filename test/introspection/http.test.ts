/**
 * Introspection over HTTP (issue 3): the same cases against ALL adapters (Express, Koa, Fastify, fetch),
 * with the same status, parsed challenge, `Retry-After` and error code.
 */
import test from 'ava';
import type { GuardOptions } from '@resource-guard/core';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import {
  CLIENT_ID, CLIENT_SECRET, activeBody, jwtAnswer, signIntrospectionJwt, useScriptedEndpoint, type Answer,
} from '../helpers/introspection.js';

// One endpoint for the file, answering per token: each case registers the answer for its own token.
const endpoint = useScriptedEndpoint(test);
const { script } = endpoint;

let counter = 0;
/** Registers `answer` for a fresh token and sends it. */
async function sendOpaque(context: CaseContext, answer: Answer | ((c: CaseContext) => Promise<Answer>), path = '/protected') {
  counter += 1;
  const token = `opaque-${context.app.framework}-${counter}-${Math.random().toString(36).slice(2)}`;
  script.set(token, typeof answer === 'function' ? await answer(context) : answer);
  return { response: await context.bearer(token, path), secrets: [token] };
}

const introspection = (extra: Partial<NonNullable<GuardOptions['introspection']>> = {}) => (): Partial<GuardOptions> => ({
  introspection: { endpoint: endpoint.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra },
});

const table: HttpCase[] = [
  {
    title: 'introspection: active opaque token → 200 with an opaque AuthContext',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ tenant: 'acme' }) }),
    expect: { status: 200 },
    check(t, _c, response) {
      const { auth } = JSON.parse(response.body) as { auth: Record<string, unknown> };
      t.is(auth.format, 'opaque');
      t.is(auth.subject, 'user-123');
      t.deepEqual(auth.scopes, ['orders:read', 'profile']);
      t.is((auth.claims as Record<string, unknown>).tenant, 'acme');
      t.is(auth.token, undefined);
    },
  },
  {
    title: 'introspection: active false → 401 invalid_token',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: { active: false } }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_INTROSPECTION_INACTIVE' },
  },
  {
    title: 'introspection: active "true" (a string) → 401 invalid_token',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: { ...activeBody(), active: 'true' } }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_INTROSPECTION_MALFORMED' },
  },
  {
    title: 'introspection: active for another audience → 401 invalid_token',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ aud: 'https://other.example.test' }) }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_AUDIENCE_INVALID' },
  },
  {
    title: 'introspection: active without aud (django-oauth-toolkit) → 401 invalid_token, the audience cannot be checked',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ aud: undefined }) }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_INTROSPECTION_AUDIENCE_MISSING' },
  },
  {
    title: 'introspection: active without aud, allowMissingAudience → 200',
    options: introspection({ allowMissingAudience: true }),
    run: (c) => sendOpaque(c, { body: activeBody({ aud: undefined }) }),
    expect: { status: 200 },
  },
  {
    title: 'introspection: RFC 9701 answer whose token_introspection has no aud → 401 invalid_token',
    options: introspection({ jwtResponse: true }),
    run: (c) => sendOpaque(c, async ({ issuer }) => jwtAnswer(await signIntrospectionJwt(issuer, { token_introspection: activeBody({ aud: undefined }) }))),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_INTROSPECTION_AUDIENCE_MISSING' },
  },
  {
    title: 'introspection: an answer about an ID token (typ "ID") → 401 invalid_token',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ typ: 'ID', azp: 'web-app' }) }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_ID_TOKEN' },
  },
  {
    title: 'introspection: active but expired → 401 invalid_token',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ exp: Math.floor(Date.now() / 1000) - 60 }) }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_EXPIRED' },
  },
  {
    title: 'introspection: missing scope → 403 insufficient_scope with the route\'s scope',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ scope: 'orders:read' }) }, '/scopes/all'),
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:read orders:write', code: 'ERR_SCOPE_INSUFFICIENT' },
  },
  {
    title: 'introspection: all scopes → 200 on the scoped route',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody({ scope: 'orders:read orders:write' }) }, '/scopes/all'),
    expect: { status: 200 },
  },
  {
    title: 'introspection: endpoint 500 → 503 with Retry-After',
    options: introspection(),
    run: (c) => sendOpaque(c, { status: 500, body: { error: 'server_error' } }),
    expect: { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' },
  },
  {
    title: 'introspection: endpoint answering HTML → 503 with Retry-After',
    options: introspection(),
    run: (c) => sendOpaque(c, { headers: { 'content-type': 'text/html' }, body: '<html>login</html>' }),
    expect: { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' },
  },
  {
    title: 'introspection: endpoint timing out → 503 with Retry-After',
    options: introspection({ timeout: 100 }),
    run: (c) => sendOpaque(c, { hang: true }),
    expect: { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' },
  },
  {
    title: 'introspection: endpoint rejecting our client credentials → 500, no challenge',
    options: introspection(),
    run: (c) => sendOpaque(c, { status: 401, body: { error: 'invalid_client' } }),
    expect: { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' },
    check(t, _c, response) {
      t.is(response.headers['www-authenticate'], undefined);
    },
  },
  {
    title: 'introspection: RFC 9701 signed response → 200',
    options: introspection({ jwtResponse: true }),
    run: (c) => sendOpaque(c, async ({ issuer }) => jwtAnswer(await signIntrospectionJwt(issuer))),
    expect: { status: 200 },
  },
  {
    title: 'introspection: RFC 9701 response for another client → 503',
    options: introspection({ jwtResponse: true }),
    run: (c) => sendOpaque(c, async ({ issuer }) => jwtAnswer(await signIntrospectionJwt(issuer, { aud: 'another-client' }))),
    expect: { status: 503, code: 'ERR_INTROSPECTION_JWT_AUDIENCE_INVALID' },
  },
];

runCaseTable(test, table);
