/**
 * runGuard(), the adapters' one hand-over from the guard to the framework: the verdict in the same
 * tick when nothing waited, else once it settles; a rejection (or what the adapter's `keep` throws)
 * to `fail` exactly once, before or after a wait; `next` at most once and never after `fail`;
 * headers left alone on a response already sent; a foreign thenable handled like a promise.
 * The shapes are made with a guard whose pipeline answers as told (the brand is a registered
 * symbol, as another installed copy of the core would set it); one real guard runs end to end.
 */
import test from 'ava';
import { createGuard, InvalidTokenError, type AuthContext, type AuthenticateResult, type Guard, type GuardRequest } from '@resource-guard/core';
import { isGuard, runGuard, type GuardHandover } from '@resource-guard/core/adapter';
import { rawJws, hmacSigner } from '../helpers/issuer.js';

const SECRET = 'a-secret-of-at-least-32-bytes-for-hs256!';
const context = { subject: 'user-1' } as AuthContext;
const request: GuardRequest = { method: 'GET', url: 'https://api.example.test/', headers: {} };

/** A guard whose pipeline answers `answer()`, branded the way `createGuard()` brands its guards. */
function guardAnswering(answer: () => unknown): Guard {
  return {
    [Symbol.for('resource-guard.guard-internals')]: { authenticate: answer, metadata: undefined },
  } as unknown as Guard;
}

interface Trace {
  events: string[];
  headers: Record<string, string>;
  auth: AuthContext | undefined;
}

/** A handover that records what it was asked, in order; `next` and `fail` return a marker. */
function recorder(options: { sent?: boolean; keepThrows?: boolean } = {}): GuardHandover<Trace, undefined, undefined, string> {
  return {
    keep(auth, _guard, trace) {
      trace.events.push('keep');
      if (options.keepThrows === true) throw new Error('keep failed');
      trace.auth = auth;
    },
    setHeader(name, value, trace) {
      trace.events.push(`header ${name}`);
      trace.headers[name] = value;
    },
    sent: () => options.sent === true,
    next(trace) {
      trace.events.push('next');
      return 'next';
    },
    fail(error, trace) {
      trace.events.push(`fail ${(error as Error).message}`);
      return 'fail';
    },
  };
}

const trace = (): Trace => ({ events: [], headers: {}, auth: undefined });
const verdict: AuthenticateResult = { auth: context, headers: { 'Cache-Control': 'private' } };
const refusal = new InvalidTokenError('Token refused', 'ERR_TOKEN_AUDIENCE_INVALID');

test('nothing waited: keep, the headers and next in the same tick; next\'s own return value comes back', (t) => {
  const seen = trace();
  const outcome = runGuard(guardAnswering(() => verdict), request, { optional: false }, recorder(), seen, undefined, undefined);
  t.is(outcome, 'next');
  t.deepEqual(seen.events, ['keep', 'header Cache-Control', 'next']);
  t.is(seen.auth, context);
});

test('a rejection thrown at once goes to fail, once; next never runs', (t) => {
  const seen = trace();
  const outcome = runGuard(guardAnswering(() => {
    throw refusal;
  }), request, { optional: false }, recorder(), seen, undefined, undefined);
  t.is(outcome, 'fail');
  t.deepEqual(seen.events, ['fail Token refused']);
});

test('after a wait: a native promise, then keep, the headers and next', async (t) => {
  const seen = trace();
  const outcome = runGuard(guardAnswering(async () => verdict), request, { optional: false }, recorder(), seen, undefined, undefined);
  t.true(outcome instanceof Promise);
  t.deepEqual(seen.events, [], 'nothing handed over before the verdict');
  t.is(await outcome, 'next');
  t.deepEqual(seen.events, ['keep', 'header Cache-Control', 'next']);
});

test('a rejection after a wait goes to fail, once; next never runs', async (t) => {
  const seen = trace();
  const outcome = runGuard(guardAnswering(async () => {
    throw refusal;
  }), request, { optional: false }, recorder(), seen, undefined, undefined);
  t.is(await outcome, 'fail');
  t.deepEqual(seen.events, ['fail Token refused']);
});

test('what keep throws goes to fail instead of next, before and after a wait', async (t) => {
  const now = trace();
  t.is(runGuard(guardAnswering(() => verdict), request, { optional: false }, recorder({ keepThrows: true }), now, undefined, undefined), 'fail');
  t.deepEqual(now.events, ['keep', 'fail keep failed']);
  const later = trace();
  t.is(await runGuard(guardAnswering(async () => verdict), request, { optional: false }, recorder({ keepThrows: true }), later, undefined, undefined), 'fail');
  t.deepEqual(later.events, ['keep', 'fail keep failed']);
});

test('a foreign thenable is waited for like a promise, and a native promise comes back', async (t) => {
  const thenable = { then: (resolve: (value: AuthenticateResult) => void) => setImmediate(() => resolve(verdict)) };
  const seen = trace();
  const outcome = runGuard(guardAnswering(() => thenable), request, { optional: false }, recorder(), seen, undefined, undefined);
  t.true(outcome instanceof Promise);
  t.is(await outcome, 'next');
  t.deepEqual(seen.events, ['keep', 'header Cache-Control', 'next']);
  const refusing = { then: (_: unknown, reject: (error: unknown) => void) => setImmediate(() => reject(refusal)) };
  const refused = trace();
  t.is(await runGuard(guardAnswering(() => refusing), request, { optional: false }, recorder(), refused, undefined, undefined), 'fail');
  t.deepEqual(refused.events, ['fail Token refused']);
});

test('a response already sent keeps the context but gets no headers', async (t) => {
  const seen = trace();
  t.is(await runGuard(guardAnswering(async () => verdict), request, { optional: false }, recorder({ sent: true }), seen, undefined, undefined), 'next');
  t.deepEqual(seen.events, ['keep', 'next']);
  t.deepEqual(seen.headers, {});
});

test('not a guard: a TypeError to fail, never next', (t) => {
  const seen = trace();
  t.is(runGuard({ authenticate: async () => verdict } as unknown as Guard, request, { optional: false }, recorder(), seen, undefined, undefined), 'fail');
  t.deepEqual(seen.events, ['fail resource-guard: expected a guard from createGuard()']);
});

test('a real guard: optional without credentials keeps the guard; a query token gets Cache-Control: private', async (t) => {
  const guard = createGuard({ issuer: 'https://as.example', audience: 'https://api.example.test', secret: SECRET, tokenLocations: ['header', 'query'] });
  t.true(isGuard(guard));
  const kept: unknown[] = [];
  const handover = { ...recorder(), keep: (auth: AuthContext | undefined, owner: Guard, seen: Trace) => kept.push(auth ?? owner, seen) };
  const anonymous = trace();
  t.is(await runGuard(guard, request, { optional: true }, handover, anonymous, undefined, undefined), 'next');
  t.is(kept[0], guard, 'no context: the guard is kept for the requirements\' 401');
  const now = Math.floor(Date.now() / 1000);
  const token = rawJws({ alg: 'HS256', typ: 'at+jwt' }, { iss: 'https://as.example', aud: 'https://api.example.test', sub: 'u', client_id: 'c', jti: 'j', exp: now + 60, iat: now }, hmacSigner(SECRET));
  const viaQuery = trace();
  t.is(await runGuard(guard, { ...request, url: `https://api.example.test/?access_token=${token}` }, { optional: false }, handover, viaQuery, undefined, undefined), 'next');
  t.deepEqual(viaQuery.headers, { 'Cache-Control': 'private' });
  t.is((kept[2] as AuthContext).subject, 'u');
  const refused = trace();
  t.is(await runGuard(guard, { ...request, headers: { authorization: 'Bearer a b' } }, { optional: true }, handover, refused, undefined, undefined), 'fail');
  t.regex(refused.events[0]!, /^fail /);
});
