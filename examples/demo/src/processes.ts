/**
 * The sample APIs as child processes (`node <api>/dist/main.js`, configured by environment),
 * each on a free port, and a registry that stops every one of them however the demo ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dim } from './table.js';

/** A running API child process. */
export interface ApiProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Its recent output lines (stdout and stderr; the last {@link LOG_LINES}). */
  readonly logs: string[];
  /** Echo its output live from now on (`[name] …`), e.g. in `--serve` mode. */
  echo(on: boolean): void;
}

/** How many output lines of each API are kept for {@link ApiProcess.logs}. */
export const LOG_LINES = 400;

/** Asks the OS for a free loopback port (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Path of a sample API's `dist/main.js` (or another script of it), found next to the package's entry point. */
export function mainOf(packageName: string, script = 'main.js'): string {
  return fileURLToPath(new URL(`./${script}`, import.meta.resolve(packageName)));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every child process started, so that {@link stopAll} can end them. */
const children = new Set<ChildProcess>();

/** Polls `GET /health` until it answers 200; fails if the child exits first or after `timeoutMs`. */
async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before answering /health`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`no answer on ${url}/health within ${timeoutMs} ms`);
}

/**
 * Starts `node <main>` with `env(port)` on a free port, keeping its output (echoed with a
 * `[name]` prefix when `echo` is on), and waits until `/health` answers. If the port was taken in
 * the meantime (the child exits), it tries again on another one, up to three times.
 */
export async function startApi(
  name: string,
  main: string,
  env: (port: number) => Record<string, string>,
  options: { echo?: boolean } = {},
): Promise<ApiProcess> {
  const logs: string[] = [];
  let echo = options.echo ?? false;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [main], { env: { ...process.env, ...env(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          logs.push(line);
          if (logs.length > LOG_LINES) logs.shift();
          if (echo) console.log(dim(`[${name}] ${line}`));
        }
      });
    }
    try {
      await waitHealthy(url, child, 15_000);
      return { name, url, child, logs, echo: (on) => { echo = on; } };
    } catch (error) {
      lastError = error;
      await stop(child);
    }
  }
  throw new Error(`${name} did not start: ${String(lastError)}\n${logs.join('\n')}`, { cause: lastError });
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
async function stop(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child process this module started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}
