/**
 * The adapters hand a request that needs no I/O (a JWT whose keys are loaded) to the next
 * middleware in the same tick, and one that waits (the first token, before the key set is loaded)
 * once it settles; a rejection reaches the framework's error path either way. The middleware are
 * called directly, with the request fields they read. Node backend only: WebCrypto verifies
 * asynchronously, so there every token waits (the HTTP suites cover the adapters there). Serial: with
 * the default `offloadSignatures: 'auto'`, two tests verifying in one event-loop iteration would
 * send the second to the thread pool (test/pipeline/offload-auto.node.test.ts).
 */
import test from 'ava';
import { createGuard, type AuthContext, type Guard } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';
import * as fastifyAdapter from '@resource-guard/fastify';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
});
test.after.always(async () => {
  await issuer?.close();
});

const incoming = (token: string) => ({
  method: 'GET',
  headers: { authorization: `Bearer ${token}`, host: 'api.example.test' },
  rawHeaders: ['Authorization', `Bearer ${token}`, 'Host', 'api.example.test'],
  socket: {},
});
const freshGuard = (): Guard => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, logger: { warn() {}, error() {} } });

/** Runs `call(done)` and says whether `done` ran before `call` returned, and with what. */
async function observe(call: (done: (error?: unknown) => void) => unknown): Promise<{ sameTick: boolean; error: unknown }> {
  let returned = false;
  let sameTick: boolean | undefined;
  let error: unknown;
  await new Promise<void>((resolve) => {
    const outcome = call((failure?: unknown) => {
      sameTick = !returned;
      error = failure;
      resolve();
    });
    returned = true;
    // Koa's middleware returns next()'s promise; a rejected one is its error path.
    if (outcome instanceof Promise) {
      outcome.catch((failure: unknown) => {
        sameTick ??= false;
        error = failure;
        resolve();
      });
    }
  });
  return { sameTick: sameTick!, error };
}

test.serial('Express: next() in the same tick once the keys are loaded; after the wait before; next(error) for a rejection', async (t) => {
  const token = await issuer.sign({});
  const middleware = expressAdapter.protect(freshGuard());
  const run = (value: string) => {
    const req = { ...incoming(value), originalUrl: '/orders', protocol: 'https', host: 'api.example.test' } as unknown as Parameters<typeof middleware>[0];
    const res = { headersSent: false, setHeader() {} } as unknown as Parameters<typeof middleware>[1];
    return { req, call: (done: (error?: unknown) => void) => middleware(req, res, done) };
  };
  const first = run(token);
  t.deepEqual(await observe(first.call), { sameTick: false, error: undefined }, 'the first token waits for the key set');
  t.is((first.req as { auth?: AuthContext }).auth?.subject, 'user-123');
  const second = run(token);
  t.deepEqual(await observe(second.call), { sameTick: true, error: undefined });
  t.is((second.req as { auth?: AuthContext }).auth?.subject, 'user-123');
  const refused = await observe(run(await issuer.sign({ aud: 'https://other.example.test' })).call);
  t.true(refused.sameTick);
  t.is((refused.error as { code?: string }).code, 'ERR_TOKEN_AUDIENCE_INVALID');
});

test.serial('Koa: next() in the same tick once the keys are loaded; a rejection rejects the middleware\'s promise', async (t) => {
  const token = await issuer.sign({});
  const middleware = koaAdapter.protect(freshGuard());
  const run = (value: string) => {
    const ctx = { req: incoming(value), request: {}, originalUrl: '/orders', protocol: 'https', host: 'api.example.test', state: {} as { auth?: AuthContext }, set() {} };
    return { ctx, call: (done: (error?: unknown) => void) => middleware(ctx as never, async () => done()) };
  };
  const first = run(token);
  t.deepEqual(await observe(first.call), { sameTick: false, error: undefined });
  const second = run(token);
  t.deepEqual(await observe(second.call), { sameTick: true, error: undefined });
  t.is(second.ctx.state.auth?.subject, 'user-123');
  const refused = await observe(run(await issuer.sign({ aud: 'https://other.example.test' })).call);
  t.false(refused.sameTick, 'a rejected promise, never a synchronous throw');
  t.is((refused.error as { code?: string }).code, 'ERR_TOKEN_AUDIENCE_INVALID');
});

test.serial('Fastify: done() in the same tick once the keys are loaded; done(error) for a rejection', async (t) => {
  const token = await issuer.sign({});
  const hook = fastifyAdapter.protect(freshGuard());
  const run = (value: string) => {
    const request = { raw: incoming(value), body: undefined, url: '/orders', protocol: 'https', host: 'api.example.test' } as { auth?: AuthContext };
    return { request, call: (done: (error?: unknown) => void) => hook(request as never, { header() {} } as never, done as never) };
  };
  const first = run(token);
  t.deepEqual(await observe(first.call), { sameTick: false, error: undefined });
  const second = run(token);
  t.deepEqual(await observe(second.call), { sameTick: true, error: undefined });
  t.is(second.request.auth?.subject, 'user-123');
  const refused = await observe(run(await issuer.sign({ aud: 'https://other.example.test' })).call);
  t.true(refused.sameTick);
  t.is((refused.error as { code?: string }).code, 'ERR_TOKEN_AUDIENCE_INVALID');
});

/** An object whose `name` property cannot be set: handing the context over then throws. */
function refusing<T extends object>(target: T, name: string): T {
  return Object.defineProperty(target, name, { set() { throw new Error('cannot set here'); }, configurable: true });
}

test('handing the context over throws: the error reaches next(error) / done(error) / the rejection, at once and after a wait', async (t) => {
  const token = await issuer.sign({});
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  for (const waits of [true, false]) {
    const express = expressAdapter.protect(freshGuard());
    const koa = koaAdapter.protect(freshGuard());
    const fastify = fastifyAdapter.protect(freshGuard());
    if (!waits) {
      // Load each guard's keys first: then the hand-over happens in the same tick.
      await observe((done) => express({ ...incoming(token), originalUrl: '/', protocol: 'https', host: 'h' } as never, { headersSent: false, setHeader() {} } as never, done));
      await observe((done) => koa({ req: incoming(token), request: {}, originalUrl: '/', state: {}, set() {} } as never, async () => done()));
      await observe((done) => fastify({ raw: incoming(token), url: '/' } as never, { header() {} } as never, done as never));
    }
    const calls: Array<[string, unknown]> = [];
    // Counted, not timed: the three adapters have answered once three outcomes are in.
    let third!: () => void;
    const allThree = new Promise<void>((resolve) => { third = resolve; });
    const record = (entry: [string, unknown]) => {
      calls.push(entry);
      if (calls.length === 3) third();
    };
    const outcome = (name: string) => (error?: unknown) => record([name, error]);
    const req = refusing({ ...incoming(token), originalUrl: '/orders', protocol: 'https', host: 'api.example.test' }, 'auth');
    await express(req as never, { headersSent: false, setHeader() {} } as never, outcome('express'));
    const state = refusing({}, 'auth');
    await koa({ req: incoming(token), request: {}, originalUrl: '/orders', state, set() {} } as never, async () => { record(['koa-next', undefined]); })
      .catch((error: unknown) => { record(['koa', error]); });
    fastify(refusing({ raw: incoming(token), url: '/orders' }, 'auth') as never, { header() {} } as never, outcome('fastify') as never);
    await allThree;
    // A fourth outcome (an adapter calling on twice) would come from a queued callback: let those run.
    await new Promise((resolve) => setImmediate(resolve));
    t.deepEqual(calls.map(([name, error]) => [name, (error as Error | undefined)?.message]), [
      ['express', 'cannot set here'], ['koa', 'cannot set here'], ['fastify', 'cannot set here'],
    ], waits ? 'after the key-set fetch' : 'in the same tick');
  }
  t.deepEqual(unhandled, []);
});
