/**
 * One API instance in its own process for the scale-out tests: the shared test app
 * ({@link startApp}) with a guard whose store is a Redis store. Started by {@link startInstance};
 * the settings come as JSON in argv[2]. Prints `READY <url>` once it listens; any unhandled
 * rejection or exception ends it (Node's default), which the tests observe.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createGuard } from '@resource-guard/core';
import { createRedisStore } from '@resource-guard/redis';
import { startApp, type Framework } from './apps.js';
import { spawnTestProcess, untilReady } from './child-process.js';

/** What an instance is configured with. */
export interface InstanceSettings {
  framework: Framework;
  issuer: string;
  audience: string[];
  introspection: { endpoint: string; clientId: string; clientSecret: string };
  redisUrl: string;
  /** The store's per-call timeout, ms. */
  timeout: number;
  /** The origin both instances share, as behind one load balancer (`dpop.baseUrl`). */
  baseUrl: string;
}

/** A running instance process. */
export interface Instance {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts an instance in a child process (`node --import=tsx`); resolves once it listens. */
export async function startInstance(settings: InstanceSettings): Promise<Instance> {
  const { child, lines } = spawnTestProcess(fileURLToPath(import.meta.url), settings);
  const url = await untilReady(child, lines, 'READY ');
  return {
    url,
    process: child,
    stop: () => new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    }),
  };
}

async function main(settings: InstanceSettings): Promise<void> {
  const store = createRedisStore({ url: settings.redisUrl }, { timeout: settings.timeout, logger: { warn() {}, error() {} } });
  const guard = createGuard({
    issuer: settings.issuer,
    audience: settings.audience,
    introspection: settings.introspection,
    dpop: { baseUrl: settings.baseUrl },
    store,
    logger: { warn() {}, error() {} },
  });
  if (!await store.ready(15_000)) throw new Error('redis-server did not accept a connection');
  const app = await startApp(settings.framework, guard);
  process.once('SIGTERM', () => {
    void Promise.all([app.close(), store.close()]).then(() => process.exit(0));
  });
  process.stdout.write(`READY ${app.url}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(JSON.parse(process.argv[2]!) as InstanceSettings);
