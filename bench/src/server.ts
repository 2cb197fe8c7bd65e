/**
 * A server child: builds one app from the JSON config in argv[2], listens on a random loopback
 * port and reports it over IPC. Answers `memory` requests; exits when the parent goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildExpressApp, buildKoaApp, SkipScenario } from './apps.js';
import { buildFastifyApp } from './apps-fastify.js';
import type { AppConfig, ChildMessage } from './config.js';
import { createLatencyProbe } from './latency-probe.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

const config = JSON.parse(process.argv[2] ?? '{}') as AppConfig;
let listener: http.RequestListener;
try {
  const build = { express: buildExpressApp, koa: buildKoaApp, fastify: buildFastifyApp }[config.framework];
  listener = await build(config);
} catch (error) {
  if (!(error instanceof SkipScenario)) throw error;
  send({ type: 'skip', reason: error.message });
  process.disconnect?.();
  process.exit(0);
}

// Only the soak measures per-request latency: the probe's own cost must not enter the bench figures.
const probe = config.kind === 'resource-guard-soak' ? createLatencyProbe() : undefined;
const server = http.createServer({ keepAliveTimeout: 30_000 }, probe === undefined ? listener : probe.wrap(listener));
server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
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
    send({ type: 'cpu', micros: user + system });
  }
});
process.on('disconnect', () => {
  server.close();
  process.exit(0);
});
