/**
 * The Express, Koa and Fastify middleware when handing the authenticated context over to the
 * request throws: the error reaches the framework's error path (`next(error)`, `done(error)`, the
 * middleware's rejection) exactly once, whether the token waited for the key set or not, and no
 * rejection goes unhandled. The middleware are called directly, with the request fields they
 * read. On both backends; the same-tick hand-over (node only) is in adapters-same-tick.node.test.ts.
 */
import test from 'ava';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';
import * as fastifyAdapter from '@resource-guard/fastify';
import { freshGuard, incoming, observe } from '../helpers/adapter-calls.js';
import { useMockIssuer } from '../helpers/issuer.js';

const issuer = useMockIssuer(test);

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
    const express = expressAdapter.protect(freshGuard(issuer));
    const koa = koaAdapter.protect(freshGuard(issuer));
    const fastify = fastifyAdapter.protect(freshGuard(issuer));
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
