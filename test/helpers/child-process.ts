/**
 * Test processes for the scale-out suites: a TypeScript module run in its own Node process
 * (`node --import=tsx <file> <settings as JSON>`), ready once it prints its ready line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/** Starts `file` with `settings` in argv[2]; `stdin: 'pipe'` lets the test write to it. */
export function spawnTestProcess(file: string, settings: unknown, stdin: 'ignore' | 'pipe' = 'ignore'): { child: ChildProcess; lines: Interface } {
  const child = spawn(process.execPath, ['--import=tsx', file, JSON.stringify(settings)], { stdio: [stdin, 'pipe', 'inherit'] });
  return { child, lines: createInterface({ input: child.stdout! }) };
}

/**
 * Resolves with the first line starting with `prefix` (without it); rejects when the process exits
 * first or prints nothing of the kind within 30 s (then it is killed).
 */
export function untilReady(child: ChildProcess, lines: Interface, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('instance did not start'));
    }, 30_000);
    child.once('exit', (code) => reject(new Error(`instance exited (${code})`)));
    const onLine = (line: string) => {
      if (!line.startsWith(prefix)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      lines.off('line', onLine);
      resolve(line.slice(prefix.length));
    };
    lines.on('line', onLine);
  });
}
