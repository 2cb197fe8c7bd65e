/**
 * Child processes of the interop suite: each server runs as a child on a loopback port, in a
 * temporary directory removed afterwards, and is killed (by its own pid) when the subject closes.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { InteropCase, StartedSubject } from './types.js';

/** A running server process. */
export interface ServerProcess {
  child: ChildProcess;
  /** The match of the ready pattern. */
  ready: RegExpMatchArray;
  /** Everything it printed so far (for the error when a flow cannot start). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `command` and resolves once its stdout or stderr matches `ready`; rejects (and kills it)
 * when it exits first or prints no such line within `timeoutMs`.
 */
export function startServerProcess(command: string, args: string[], ready: RegExp, options: SpawnOptions = {}, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} did not start within ${timeoutMs} ms:\n${printed}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before it was ready:\n${printed}`));
    };
    child.once('exit', onExit);
    child.once('error', onExit);
    const onData = (chunk: Buffer) => {
      printed += chunk.toString('utf8');
      const match = printed.match(ready);
      if (match === null) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      // Keep draining the pipes so a chatty server never blocks on a full one.
      child.stdout!.on('data', (more: Buffer) => { printed = (printed + more.toString('utf8')).slice(-20_000); });
      child.stderr!.on('data', (more: Buffer) => { printed = (printed + more.toString('utf8')).slice(-20_000); });
      resolve({ child, ready: match, output: () => printed, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

/** Runs a command to its end; throws with its output when it fails. */
export function runCommand(command: string, args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.error?.message}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** A free loopback port (bound and released; the server binds it right after). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A fresh temporary directory and its removal. */
export function makeTempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rg-interop-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The installed version of a Debian package, or `undefined`. */
export function debianVersion(pkg: string): string | undefined {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' });
  const match = /install ok installed (\S+)/.exec(result.stdout ?? '');
  return match?.[1];
}

/**
 * Resolves once `url` answers at all (any status); some servers print their ready line before
 * their socket accepts. Rejects after `timeoutMs` with the last connection error.
 */
export async function waitForHttp(url: string, server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch (error) {
      if (server.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${url} never answered:\n${server.output().slice(-3000)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * The life of one server subject: a temporary directory, `launch` (write the configuration, start
 * the process), `prepare` (configure it, take its tokens, build the cases), and `close` that stops
 * the process and removes the directory; on any failure both happen at once and the error is
 * rethrown (with the server's own log on stderr under `INTEROP_DEBUG`).
 */
export async function runServerSubject(
  prefix: string,
  launch: (dir: string) => Promise<ServerProcess>,
  prepare: (server: ServerProcess, dir: string) => Promise<InteropCase[]>,
): Promise<StartedSubject> {
  const temp = makeTempDir(prefix);
  let server: ServerProcess | undefined;
  try {
    server = await launch(temp.dir);
    const cases = await prepare(server, temp.dir);
    const running = server;
    return { cases, close: async () => { await running.stop(); temp.remove(); } };
  } catch (error) {
    if (process.env.INTEROP_DEBUG !== undefined) console.error(server?.output().slice(-6000));
    await server?.stop();
    temp.remove();
    throw error;
  }
}
