/**
 * A real browser for the tests: Debian's `chromium`, driven by playwright-core (never a
 * downloaded browser). Where it is not installed the tests are skipped with the install command;
 * under CI (`CI=true`) they fail instead.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** What installs it. */
export const INSTALL_COMMAND = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium';

/** Why the browser tests cannot run here (`undefined` when they can); throws under CI instead. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI === 'true') throw new Error(`chromium is required in CI: ${INSTALL_COMMAND}`);
  return `chromium not installed (${CHROMIUM_PATH}); install it with: ${INSTALL_COMMAND}`;
}

/** Screenshots and other artifacts of the browser tests (gitignored). */
export function outputFolder(name: string): string {
  const folder = join(process.cwd(), 'test-output', name);
  mkdirSync(folder, { recursive: true });
  return folder;
}

/**
 * A headless chromium with a fresh profile (`--user-data-dir`, which playwright takes as the
 * persistent context's directory); `close()` removes the profile.
 */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'rg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
