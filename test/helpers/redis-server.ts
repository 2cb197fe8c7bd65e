/**
 * A real `redis-server` per test file (random loopback port, temporary directory, no
 * persistence); the launcher is shared with the demo and the bench pre-check.
 *
 * `redisTest` is ava's `test` when `redis-server` is installed. Without it, every test declared
 * through it is reported as skipped, with the command that installs it, and its hooks do not run,
 * so `npm install && npm test` passes on a fresh machine; with `CI=true` a missing `redis-server`
 * fails the file instead (CI installs it, and must run these suites).
 */
import test, { type TestFn } from 'ava';
import { redisServerInstalled } from '@resource-guard-tools/launchers';

export { redisServerInstalled, startRedisServer, type RedisServerOptions, type TestRedisServer } from '@resource-guard-tools/launchers';

/** Why a Redis test was skipped, and how to run it. */
export const REDIS_SKIP_REASON = 'skipped: redis-server is not installed (sudo apt-get install redis-server, or brew install redis)';

if (!redisServerInstalled && process.env.CI === 'true') {
  throw new Error('CI=true and redis-server is not installed: the Redis suites must run in CI (apt-get install -y redis-server)');
}

function skippingTest(): TestFn {
  const noop = (): void => {};
  const hook = Object.assign(noop, { always: noop, skip: noop });
  const skip = (title: string): void => test.skip(`${title} (${REDIS_SKIP_REASON})`, noop);
  return Object.assign(skip, {
    serial: Object.assign(skip, { skip }), skip, only: skip, todo: test.todo,
    before: hook, after: hook, beforeEach: hook, afterEach: hook,
  }) as unknown as TestFn;
}

/** ava's `test` with `redis-server` installed; without it, a `test` whose tests are skipped (see above). */
export const redisTest: TestFn = redisServerInstalled ? test : skippingTest();
