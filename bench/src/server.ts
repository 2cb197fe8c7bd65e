/**
 * A server child: builds one app from the JSON config in argv[2] (or, with `--one-process`,
 * several, each at its own path), listens on a random loopback port and reports it over IPC. Answers `memory` requests; exits when the parent goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildExpressApp, buildKoaApp, SkipScenario } from './apps.js';
import { buildFastifyApp } from './apps-fastify.js';
import { buildHonoApp } from './apps-hono.js';
import type { AppConfig, ChildMessage, ServerConfig } from './config.js';
import { createLatencyProbe } from './latency-probe.js';
import { countVerifications } from './verification-count.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

const parsed = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const configs = 'routes' in parsed ? parsed.routes : [parsed];
const config = configs[0]!;
// Where resource-guard checked its signatures (the throughput table's "on the pool" column).
const verifications = configs.some((app) => app.kind.startsWith('resource-guard')) ? countVerifications() : undefined;

async function build(app: AppConfig): Promise<http.RequestListener> {
  return { express: buildExpressApp, koa: buildKoaApp, fastify: buildFastifyApp, hono: buildHonoApp }[app.framework](app);
}

let listener: http.RequestListener;
const skipped: Record<string, string> = {};
if ('routes' in parsed) {
  // One process, several apps: the first path segment picks the app (the URL is left as it is,
  // so a DPoP proof's htu and the app's route both see the path the client sent).
  const apps = new Map<string, http.RequestListener>();
  for (const route of configs) {
    try {
      apps.set(route.path!.split('/')[1]!, await build(route));
    } catch (error) {
      if (!(error instanceof SkipScenario)) throw error;
      skipped[route.path!] = error.message;
    }
  }
  listener = (req, res) => {
    const url = req.url ?? '/';
    const end = url.indexOf('/', 1);
    const app = apps.get(url.slice(1, end < 0 ? undefined : end));
    if (app !== undefined) app(req, res);
    else res.writeHead(404).end();
  };
} else {
  try {
    listener = await build(config);
  } catch (error) {
    if (!(error instanceof SkipScenario)) throw error;
    send({ type: 'skip', reason: error.message });
    process.disconnect?.();
    process.exit(0);
  }
}

// Only the soak measures per-request latency: the probe's own cost must not enter the bench figures.
const probe = config.kind === 'resource-guard-soak' ? createLatencyProbe() : undefined;
const server = http.createServer({ keepAliveTimeout: 30_000 }, probe === undefined ? listener : probe.wrap(listener));
server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as AddressInfo).port, ...('routes' in parsed ? { skipped } : {}) });
});
process.on('message', (message) => {
  if (message === 'memory') {
    // Heap after a full collection when the child runs with --expose-gc (the soak run does).
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: 'memory', rss, heapUsed });
  } else if (message === 'latency' && probe !== undefined) {
    send({ type: 'latency', report: probe.read() });
  } else if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', micros: user + system, ...(verifications === undefined ? {} : { verifications: { ...verifications } }) });
  }
});
process.on('disconnect', () => {
  server.close();
  process.exit(0);
});
