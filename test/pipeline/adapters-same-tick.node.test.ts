/**
 * The adapters hand a request that needs no I/O (a JWT whose keys are loaded) to the next
 * middleware in the same tick, and one that waits (the first token, before the key set is loaded)
 * once it settles; a rejection reaches the framework's error path either way. The middleware are
 * called directly, with the request fields they read. Node backend only: WebCrypto verifies
 * asynchronously, so there every token waits (the HTTP suites cover the adapters there, and
 * adapters-handover.test.ts the error path of the hand-over). The guards check signatures in
 * place (`offloadSignatures: false`, see `freshGuard`): the hand-over is what is tested here, where
 * the check runs is test/pipeline/offload-auto.node.test.ts's subject.
 */
import test from 'ava';
import type { AuthContext } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';
import * as fastifyAdapter from '@resource-guard/fastify';
import { freshGuard, incoming, observe } from '../helpers/adapter-calls.js';
import { startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
});
test.after.always(async () => {
  await issuer?.close();
});

test.serial('Express: next() in the same tick once the keys are loaded; after the wait before; next(error) for a rejection', async (t) => {
  const token = await issuer.sign({});
  const middleware = expressAdapter.protect(freshGuard(issuer));
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
  const middleware = koaAdapter.protect(freshGuard(issuer));
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
  const hook = fastifyAdapter.protect(freshGuard(issuer));
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
