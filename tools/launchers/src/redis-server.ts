/**
 * A real `redis-server` for the demo, the tests and the bench pre-check: its own process on a
 * random loopback port, a temporary directory, no persistence (`--save '' --appendonly no`); killed,
 * paused or restarted on demand. Development and test use only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether `redis-server` is on this machine (`apt-get install -y redis-server`). */
export const redisServerInstalled: boolean = spawnSync('redis-server', ['--version']).status === 0;

/** A running test Redis. */
export interface TestRedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (`rediss://` with TLS). */
  readonly url: string;
  /** SIGKILL: the server is gone at once, connections reset, its data lost. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty, like any restart without persistence). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered while paused. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** A free loopback port (taken from the OS, then released for redis-server to bind). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Serve TLS only (`rediss://`), with this PEM certificate and key; clients need no certificate. */
  tls?: { cert: string; key: string };
  /** Start it as a Redis Cluster node (`--cluster-enabled yes`); join nodes with `redis-cli --cluster create`. */
  cluster?: boolean;
}

/** Spawns redis-server on `port`; resolves once it accepts connections. */
function spawnServer(port: number, dir: string, tls: boolean, cluster: boolean): Promise<ChildProcess> {
  const clustering = cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')] : [];
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', join(dir, 'cert.pem'), '--tls-key-file', join(dir, 'key.pem'), '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const child = spawn('redis-server', [
    ...listen, ...clustering, '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--maxmemory-policy', 'noeviction',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${output}`)), 15_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}):\n${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a fresh redis-server; throws a clear error when it is not installed. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<TestRedisServer> {
  if (!redisServerInstalled) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'rg-redis-'));
  const tls = options.tls !== undefined;
  const cluster = options.cluster ?? false;
  if (options.tls !== undefined) {
    writeFileSync(join(dir, 'cert.pem'), options.tls.cert);
    writeFileSync(join(dir, 'key.pem'), options.tls.key, { mode: 0o600 });
  }
  let port = 0;
  let child: ChildProcess | undefined;
  // Another process may take the free port between the probe and redis-server's bind: retry.
  for (let attempt = 0; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await spawnServer(port, dir, tls, cluster);
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
  let current: ChildProcess = child;
  const kill = async () => {
    current.kill('SIGKILL');
    await waitForExit(current);
  };
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      current = await spawnServer(port, dir, tls, cluster);
    },
    pause: () => {
      current.kill('SIGSTOP');
    },
    resume: () => {
      current.kill('SIGCONT');
    },
    stop: async () => {
      current.kill('SIGCONT');
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
