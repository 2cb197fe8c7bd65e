/**
 * The benchmark's own correctness gate, run in CI: every bench scenario's server (resource-guard,
 * the peers, the bare apps) starts and answers the valid credential with 200 and the tampered /
 * missing ones with 401 — the same pre-checks `npm run bench` runs before measuring. No timing.
 */
import test, { type ExecutionContext } from 'ava';
import { startServer } from '../../bench/src/children.js';
import { SCENARIOS } from '../../bench/src/config.js';
import { credentialFor } from '../../bench/src/credentials.js';
import { precheck } from '../../bench/src/precheck.js';
import { runQuick } from '../../bench/src/run.js';
import { appConfig, createWorld } from '../../bench/src/setup.js';
import { redisServerInstalled } from '../helpers/redis-server.js';

/**
 * Scenarios that need nothing unfinished: never skipped. The Redis ones need redis-server: without
 * it (and not in CI, where the helper fails instead) they are skipped like the Redis suites.
 */
const ALWAYS = [
  'express-bare', 'express-noop', 'express-rg-es256', 'express-rg-rs256', 'express-rg-cache', 'express-rg-opaque',
  'express-rg-dpop', ...(redisServerInstalled ? ['express-rg-opaque-redis', 'express-rg-dpop-redis'] : []), 'express-auth0', 'express-jwt', 'koa-bare', 'koa-noop', 'koa-rg-es256', 'koa-rg-rs256', 'koa-rg-cache', 'koa-jwt',
  'fastify-bare', 'fastify-noop', 'fastify-rg-es256', 'fastify-rg-rs256', 'fastify-rg-cache', 'fastify-jwt',
];

for (const oneProcess of [false, true]) {
  test(`bench quick mode${oneProcess ? ' with --one-process (every app of a framework in one server, each at its path)' : ''}: every app accepts the valid token and rejects the tampered one`, async (t) => {
    t.timeout(300_000);
    checkAll(t, await runQuick(undefined, oneProcess));
  });
}

function checkAll(t: ExecutionContext, outcomes: Awaited<ReturnType<typeof runQuick>>): void {
  t.is(outcomes.length, SCENARIOS.length);
  for (const outcome of outcomes) {
    const { id } = outcome.scenario;
    if (outcome.status === 'skipped') {
      t.log(`${id} skipped: ${outcome.reason}`);
      t.false(ALWAYS.includes(id), `${id} must not be skipped`);
      continue;
    }
    t.is(outcome.status, 'checked', `${id}: ${outcome.reason ?? outcome.precheck?.details.join('; ')}`);
    t.true(outcome.precheck?.ok, `${id}: ${outcome.precheck?.details.join('; ')}`);
    if (outcome.scenario.kind !== 'bare' && outcome.scenario.kind !== 'noop') t.true(outcome.precheck!.details.some((line) => line.startsWith('tampered: 401 → 401')));
  }
}

test('bench pre-check catches a broken setup: an app that lets everything through fails it', async (t) => {
  t.timeout(60_000);
  const world = await createWorld();
  const bare = SCENARIOS.find((scenario) => scenario.id === 'express-bare')!;
  const handle = await startServer(appConfig(bare, world.server));
  try {
    if (handle.status !== 'ready') throw new Error(handle.reason);
    const result = await precheck(handle.url, credentialFor('ES256', world.tokens, handle.url), true);
    t.false(result.ok);
    t.true(result.details.includes('tampered: 401 → 200'));
  } finally {
    if (handle.status === 'ready') await handle.stop();
    await world.close();
  }
});
