/**
 * Installs a binary package from the npm registry into its own cache folder under
 * `test-output/runtimes/<name>` (never a dependency of the workspace: a newcomer's `npm install`
 * stays lean), and reuses it while the pinned version is there.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the cached installs live, relative to the repository root. */
export const CACHE_DIR = 'test-output/runtimes';

/** The command that installs `pkg@version` into the cache of `name` (also what a skip prints). */
export function installCommand(name, pkg, version) {
  return `npm install --prefix ${CACHE_DIR}/${name} ${pkg}@${version} --no-save --no-audit --no-fund`;
}

/**
 * The path of `bin` (relative to the cached package folder) after installing `pkg@version` when
 * the cache lacks it. Throws with npm's output when the install fails.
 */
export async function ensureInstalled(root, { name, pkg, version, bin }) {
  const prefix = join(root, CACHE_DIR, name);
  const manifest = join(prefix, 'node_modules', pkg, 'package.json');
  const installed = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined;
  if (installed !== version) {
    const [command, ...args] = installCommand(name, pkg, version).split(' ');
    await run(command === 'npm' && process.platform === 'win32' ? 'npm.cmd' : command, args, { cwd: root, maxBuffer: 1 << 24 });
  }
  const path = join(prefix, 'node_modules', pkg, bin);
  if (!existsSync(path)) throw new Error(`${pkg}@${version} installed without ${bin}`);
  return path;
}
