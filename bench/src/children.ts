/** Starting and talking to child processes (API servers, the micro benchmark, the flood). */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ServerConfig } from './config.js';
import type { LatencyReport } from './latency-probe.js';

/** `name` next to this module: `.ts` when run from source (tsx), `.js` when built. */
export function sibling(name: string): string {
  const url = new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  return url.pathname;
}

export type ServerHandle =
  | {
    status: 'ready';
    port: number;
    url: string;
    child: ChildProcess;
    /** With several routes: those whose app could not be built (path → reason). */
    skipped?: Record<string, string>;
    memory(): Promise<{ rss: number; heapUsed: number }>;
    /** CPU time the server process has used so far (user + system), in µs. */
    cpu(): Promise<number>;
    /** {@link cpu}, with the signature verifications so far (resource-guard apps only). */
    usage(): Promise<{ micros: number; verifications?: { inline: number; pooled: number } }>;
    /** Answer times per credential kind since the last call; `undefined` unless the app is the soak's. */
    latency(): Promise<LatencyReport | undefined>;
    stop(): Promise<void>;
  }
  | { status: 'skipped'; reason: string };

// Generous: the pre-check runs in CI next to other suites, where forking and loading a framework
// and its peer library was seen to take over 20 s on the loaded 2-core machine.
const STARTUP_TIMEOUT = 60_000;

/** Forks `server` with `config`; resolves once it listens (or says it must be skipped). */
export function startServer(config: ServerConfig, execArgv: readonly string[] = []): Promise<ServerHandle> {
  const name = 'routes' in config ? `${config.routes[0]?.framework} (${config.routes.length} apps in one process)` : `${config.framework}/${config.kind}`;
  const child = fork(sibling('server'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
    execArgv: [...process.execArgv, ...execArgv],
  });
  return new Promise<ServerHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${name}: server did not start within ${STARTUP_TIMEOUT} ms`));
    }, STARTUP_TIMEOUT);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name}: server exited with code ${code} before listening`));
    };
    child.once('exit', onExit);
    child.once('message', (message: ChildMessage) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      if (message.type === 'skip') {
        resolve({ status: 'skipped', reason: message.reason });
        return;
      }
      if (message.type !== 'ready') {
        reject(new Error(`unexpected message ${message.type}`));
        return;
      }
      resolve({
        status: 'ready',
        port: message.port,
        url: `http://127.0.0.1:${message.port}/`,
        child,
        ...(message.skipped !== undefined ? { skipped: message.skipped } : {}),
        memory: () => ask(child, 'memory').then((reply) => (reply.type === 'memory' ? { rss: reply.rss, heapUsed: reply.heapUsed } : { rss: 0, heapUsed: 0 })),
        cpu: () => ask(child, 'cpu').then((reply) => (reply.type === 'cpu' ? reply.micros : Number.NaN)),
        usage: () => ask(child, 'cpu').then((reply) => (reply.type === 'cpu' ? reply : { micros: Number.NaN })),
        latency: () => ask(child, 'latency').then((reply) => (reply.type === 'latency' ? reply.report : undefined)),
        stop: () => stopChild(child),
      });
    });
  });
}

/** Sends a query to a server child and resolves with its next message (queries are sequential). */
function ask(child: ChildProcess, query: 'memory' | 'cpu' | 'latency'): Promise<ChildMessage> {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(query);
  });
}

/** Disconnects (the child exits on it), then kills it if it lingers. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill();
  });
}

/**
 * Runs a one-shot child (`name` next to this module) and resolves with the one result it sends
 * over IPC. `execArgv` adds Node flags (e.g. `--cpu-prof`, `--expose-gc`).
 */
export function runChild<T>(name: string, args: string[], execArgv: string[] = []): Promise<T> {
  const child = fork(sibling(name), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...execArgv],
  });
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined;
    child.on('message', (message: T) => {
      result = { value: message };
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result !== undefined) resolve(result.value);
      else reject(new Error(`${name} exited with code ${code} without a result`));
    });
  });
}
