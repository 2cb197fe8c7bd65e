/**
 * What only the fetch adapter has: Node's global `Request` handled directly (no server), the
 * rejection `Response`, the bounded form-body read, `withAuth`'s settings and success headers.
 * The shared HTTP case tables cover the verdicts (they run `withAuth` served by Node too).
 */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import {
  MAX_FORM_BYTES, authenticate, authorize, rejectionResponse, requireScopes, verify, withAuth,
} from '@resource-guard/fetch';
import { findChallenge } from '../helpers/challenge.js';
import { AUDIENCE, flipSignature, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer();
});
test.after.always(async () => {
  await issuer.close();
});

const options = (extra: Partial<GuardOptions> = {}): GuardOptions => ({
  issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} }, ...extra,
});
const URL_ = 'http://api.example.test/orders';
const bearer = (token: string, init: RequestInit = {}) => new Request(URL_, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
const codeOf = async (promise: Promise<unknown>) => ((await promise.then(() => undefined, (error: unknown) => error)) as { code?: string } | undefined)?.code;

test('verify(guard, Request): the context of a valid token; a GuardError with status, code and challenge otherwise', async (t) => {
  const guard = createGuard(options());
  const token = await issuer.sign({ scope: 'orders:read' });
  const auth = await verify(guard, bearer(token));
  t.deepEqual(auth.scopes, ['orders:read']);
  t.is(auth.token, token);
  const error = await verify(guard, new Request(URL_)).catch((caught: unknown) => caught) as { status: number; code: string; headers: Record<string, string> };
  t.is(error.status, 401);
  t.is(error.code, 'ERR_CREDENTIALS_MISSING');
  t.is(findChallenge(error.headers['WWW-Authenticate']!, 'Bearer')?.params.realm, AUDIENCE);
  t.is(await codeOf(verify(guard, bearer(flipSignature(token)))), 'ERR_JWS_SIGNATURE_INVALID');
});

test('rejectionResponse: status and headers as rendered, a small JSON body; 5xx and foreign errors carry no detail', async (t) => {
  const guard = createGuard(options());
  const invalid = await rejectionResponse(await verify(guard, bearer('a.b.c')).catch((error: unknown) => error));
  t.is(invalid.status, 401);
  t.is(invalid.headers.get('cache-control'), 'no-store');
  t.is(findChallenge(invalid.headers.get('www-authenticate')!, 'Bearer')?.params.error, 'invalid_token');
  const body = await invalid.json() as { error?: string; error_description?: string };
  t.is(body.error, 'invalid_token');
  t.is(typeof body.error_description, 'string');
  t.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], 'the body every adapter sends');

  const failing = await startMockIssuer();
  failing.mode = 'error500';
  try {
    const down = createGuard({ ...options(), issuer: failing.issuer });
    const unavailable = rejectionResponse(await verify(down, bearer(await failing.sign())).catch((error: unknown) => error));
    t.is(unavailable.status, 503);
    t.regex(unavailable.headers.get('retry-after') ?? '', /^\d+$/);
    t.deepEqual(await unavailable.json(), { error_description: 'The authorization server could not be reached; try again later' });
  } finally {
    await failing.close();
  }
  const foreign = rejectionResponse(new Error('secret detail'));
  t.is(foreign.status, 500);
  t.false((await foreign.text()).includes('secret'));
});

test('withAuth: the handler gets the request, the context and the runtime\'s own arguments; rejections never reach it', async (t) => {
  const calls: unknown[][] = [];
  const seen: string[] = [];
  const handler = withAuth(options(), (request, auth, context: { params: Promise<{ id: string }> }) => {
    calls.push([request.url, auth.subject, context]);
    return Response.json({ ok: true });
  }, { require: requireScopes('orders:read'), onRejection: (error) => seen.push((error as { code: string }).code) });
  const context = { params: Promise.resolve({ id: '1' }) };
  t.is((await handler(bearer(await issuer.sign({ scope: 'orders:read' })), context)).status, 200);
  t.deepEqual(calls, [[URL_, issuer.claims().sub, context]]);
  const denied = await handler(bearer(await issuer.sign({ scope: 'profile' })), context);
  t.is(denied.status, 403);
  t.is(findChallenge(denied.headers.get('www-authenticate')!, 'Bearer')?.params.scope, 'orders:read');
  t.is((await handler(new Request(URL_), context)).status, 401);
  t.deepEqual(seen, ['ERR_SCOPE_INSUFFICIENT', 'ERR_CREDENTIALS_MISSING']);
  t.is(calls.length, 1);
});

test('withAuth: success headers are added, also to a response whose headers are immutable', async (t) => {
  const handler = withAuth(options({ tokenLocations: ['query'] }), () => Response.redirect('http://api.example.test/elsewhere', 302));
  const token = await issuer.sign();
  const response = await handler(new Request(`${URL_}?access_token=${token}`));
  t.is(response.status, 302);
  t.is(response.headers.get('location'), 'http://api.example.test/elsewhere');
  t.regex(response.headers.get('cache-control') ?? '', /private/);
});

test('form-body tokens: read from a clone (the handler can still read the body), at most MAX_FORM_BYTES', async (t) => {
  const handler = withAuth(options({ tokenLocations: ['header', 'body'] }), async (request, auth) => Response.json({ subject: auth.subject, body: await request.text() }));
  const token = await issuer.sign();
  const form = (body: NonNullable<RequestInit['body']>, headers: Record<string, string> = {}) => new Request(URL_, {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, duplex: 'half',
  } as RequestInit);
  const ok = await handler(form(`access_token=${token}&x=1`));
  t.is(ok.status, 200);
  t.deepEqual(await ok.json(), { subject: issuer.claims().sub, body: `access_token=${token}&x=1` });

  const padding = 'x'.repeat(MAX_FORM_BYTES);
  t.is((await handler(form(`access_token=${token}&pad=${padding}`))).status, 413);
  // No Content-Length: the stream itself is cut off at the limit.
  const encoder = new TextEncoder();
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      if (pulled > 1000) controller.close();
      else controller.enqueue(encoder.encode(pulled === 1 ? `access_token=${token}&pad=` : padding.slice(0, 16 * 1024)));
    },
  });
  t.is((await handler(form(endless))).status, 413);
  t.true(pulled < 20, 'stopped reading near the limit');
  t.is(await codeOf(authenticate(createGuard(options({ tokenLocations: ['header', 'body'] })), form(`access_token=${token}`), { body: {} })), 'ERR_CREDENTIALS_MISSING');
});

test('withAuth and authorize: misuse is a TypeError at start-up, or a 500 naming it', async (t) => {
  const guard = createGuard(options());
  t.throws(() => withAuth({ ...options(), optional: true }, () => new Response(), { optional: false as never }), { instanceOf: TypeError });
  t.throws(() => withAuth(guard, 'handler' as never), { instanceOf: TypeError });
  t.throws(() => withAuth(guard, () => new Response(), { require: [{}] as never }), { instanceOf: TypeError });
  t.throws(() => withAuth(undefined as never, () => new Response()), { instanceOf: TypeError });
  t.throws(() => authorize(undefined, requireScopes('a')), { code: 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER' } as never);
  t.throws(() => authorize(undefined, requireScopes('a'), guard), { code: 'ERR_CREDENTIALS_MISSING' } as never);
});

test('withAuth: an exception from the app\'s own callback (mtls.certificate) is a 500 Response, never thrown', async (t) => {
  const seen: unknown[] = [];
  const handler = withAuth(options({ mtls: { certificate: () => { throw new Error('callback failed'); } } }), () => new Response('ran'), {
    onRejection: (error) => seen.push(error),
  });
  const response = await handler(bearer(await issuer.sign({ cnf: { 'x5t#S256': 'A'.repeat(43) } })));
  t.is(response.status, 500);
  t.false((await response.text()).includes('callback failed'));
  t.is(seen.length, 1);
});

test('withAuth: a throwing onRejection hook does not change the answer', async (t) => {
  const handler = withAuth(options(), () => new Response('ran'), { onRejection: () => { throw new Error('log sink down'); } });
  const response = await handler(new Request(URL_));
  t.is(response.status, 401);
  t.truthy(response.headers.get('www-authenticate'));
});
