/**
 * `scopeHierarchy` (a broader scope implies narrower ones) and `challengeScope` (the scopes a 401
 * names), on every adapter through `requireScopes()` / `requireAnyScope()`, plus option checks.
 */
import test from 'ava';
import { createGuard } from '@resource-guard/core';
import { runCaseTable, type HttpCase } from '../helpers/cases.js';
import { findChallenge } from '../helpers/challenge.js';
import { AUDIENCE } from '../helpers/issuer.js';

const scopeHierarchy = { 'orders:write': ['orders:read'], admin: '*' } as const;
const withHierarchy = () => ({ scopeHierarchy });

const table: HttpCase[] = [
  {
    title: 'hierarchy: orders:write implies orders:read → requireScopes(read, write) passes with write alone',
    options: withHierarchy,
    run: async (context) => {
      const token = await context.issuer.sign({ scope: 'orders:write' });
      return { response: await context.bearer(token, '/scopes/all'), secrets: [token] };
    },
    expect: { status: 200 },
  },
  {
    title: 'hierarchy: admin implies every scope → requireScopes(read, write) passes',
    options: withHierarchy,
    run: async (context) => {
      const token = await context.issuer.sign({ scope: 'admin' });
      return { response: await context.bearer(token, '/scopes/all'), secrets: [token] };
    },
    expect: { status: 200 },
  },
  {
    title: 'no hierarchy: orders:write alone does not pass requireScopes(read, write)',
    run: async (context) => {
      const token = await context.issuer.sign({ scope: 'orders:write' });
      return { response: await context.bearer(token, '/scopes/all'), secrets: [token] };
    },
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:read orders:write' },
  },
  {
    title: 'hierarchy: the 403 names the narrowest sufficient set (orders:write, which implies orders:read)',
    options: withHierarchy,
    run: async (context) => {
      const token = await context.issuer.sign({ scope: 'orders:read' });
      return { response: await context.bearer(token, '/scopes/all'), secrets: [token] };
    },
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:write', code: 'ERR_SCOPE_INSUFFICIENT' },
  },
  {
    title: 'hierarchy: requireAnyScope(orders:write, admin) passes with admin, and its 403 leaves out admin (it implies orders:write)',
    options: withHierarchy,
    run: async (context) => {
      const admin = await context.issuer.sign({ scope: 'admin' });
      const passed = await context.bearer(admin, '/scopes/any');
      context.notes.passed = passed.status;
      const reader = await context.issuer.sign({ scope: 'orders:read' });
      return { response: await context.bearer(reader, '/scopes/any'), secrets: [admin, reader] };
    },
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:write', handlerCalls: 1 },
    check: (t, context) => t.is(context.notes.passed, 200),
  },
  {
    title: 'challengeScope: the 401 without credentials and the 401 invalid_token name it; a 403 names the route\'s scopes',
    options: () => ({ challengeScope: ['orders:read', 'profile'] }),
    run: async (context) => {
      const missing = await context.send('/protected');
      context.notes.missing = findChallenge(missing.headers['www-authenticate'] as string, 'Bearer')?.params.scope;
      const forbidden = await context.bearer(await context.issuer.sign({ scope: 'profile' }), '/scopes/all');
      context.notes.forbidden = findChallenge(forbidden.headers['www-authenticate'] as string, 'Bearer')?.params.scope;
      return { response: await context.bearer(await context.issuer.sign({ exp: 1 })) };
    },
    expect: { status: 401, error: 'invalid_token', scope: 'orders:read profile', handlerCalls: 0 },
    check(t, context) {
      t.is(context.notes.missing, 'orders:read profile');
      t.is(context.notes.forbidden, 'orders:read orders:write');
    },
  },
];

runCaseTable(test, table);

test('scopeHierarchy and challengeScope are validated at start-up', (t) => {
  const base = { issuer: 'https://as.example.test', audience: AUDIENCE };
  for (const scopeHierarchy of [[], { a: [] }, { a: 'b c' }, { a: [1] }, { 'a b': ['c'] }, { a: '' }, 'a']) {
    t.throws(() => createGuard({ ...base, scopeHierarchy } as never), { instanceOf: TypeError, message: /scopeHierarchy/ });
  }
  for (const challengeScope of [[], ['a b'], 'a', [1]]) {
    t.throws(() => createGuard({ ...base, challengeScope } as never), { instanceOf: TypeError, message: /challengeScope/ });
  }
  t.notThrows(() => createGuard({ ...base, scopeHierarchy: { a: 'b', b: ['a'], c: '*' }, challengeScope: ['a'] }));
});
