/**
 * The token handler, whole: the SPA example (examples/gateway/spa) with its OAuth agent and proxy
 * in front of the Express sample API, walked in Debian's chromium, headless (playwright-core): sign
 * in at the dev AS, call the API, wait for the access token to expire, call again (a silent
 * refresh), sign out. Without chromium it says how to install it; `--serve` keeps it running.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLIENTS, RESOURCES, WEB_ACCESS_TOKEN_TTL, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { startSpaGateway, type RunningSpaGateway } from '@resource-guard-examples/gateway/spa';
import { dim, green, red } from './table.js';

const CHROMIUM = '/usr/bin/chromium';

/** Starts the SPA gateway in front of `upstream` (an API accepting the dev AS's JWT resource). */
export function startSpa(as: DevAuthorizationServer, upstream: string): Promise<RunningSpaGateway> {
  return startSpaGateway({
    framework: 'express',
    issuer: as.issuer,
    clientId: CLIENTS.web.clientId,
    clientSecret: CLIENTS.web.clientSecret,
    scope: 'openid orders:read orders:write',
    resource: RESOURCES.jwt,
    upstream,
    keys: [{ kid: 'demo', key: randomBytes(32) }],
  });
}

/** Walks the SPA in a headless chromium; prints one line per step; resolves whether all passed (`undefined`: no browser here). */
export async function walkSpa(spa: RunningSpaGateway, as: DevAuthorizationServer): Promise<boolean | undefined> {
  if (!existsSync(CHROMIUM)) {
    console.log(dim(`Skipped: chromium is not installed (Debian: sudo apt-get install chromium). Open ${spa.url} in a browser instead (npm run demo -- --serve).`));
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'rg-demo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let passed = true;
  const step = async (name: string, run: () => Promise<unknown>) => {
    try {
      await run();
      console.log(`${green('✔')} ${name}`);
    } catch (error) {
      passed = false;
      console.log(`${red('✘')} ${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  };
  try {
    const page = await context.newPage();
    // Playwright's selector engine, not a script: the SPA's Content Security Policy forbids eval.
    const text = (selector: string, expected: string) =>
      page.locator(selector, { hasText: new RegExp(`^${expected}`) }).waitFor({ timeout: 15_000 });
    await step(`open the SPA at ${spa.url}: signed out`, async () => {
      await page.goto(spa.url);
      await text('#status', 'signed out');
    });
    await step('sign in at the dev AS (authorization code + PKCE); back in the SPA as Alice', async () => {
      await page.click('#login');
      await page.waitForURL((url) => url.href.startsWith(as.issuer));
      await page.fill('input[name=login]', 'alice');
      await page.click('button[type=submit]');
      await text('#user', 'as Alice');
    });
    await step('GET /api/orders through the proxy: 200', async () => {
      await page.click('#orders');
      await text('#result', '200');
    });
    await step('no token in localStorage, sessionStorage or document.cookie', async () => {
      const seen = await page.evaluate('[JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }), document.cookie]');
      if (JSON.stringify(seen) !== JSON.stringify(['{}', '{}', ''])) throw new Error(`page JavaScript sees ${JSON.stringify(seen)}`);
    });
    await step(`after ${WEB_ACCESS_TOKEN_TTL + 1} s the access token has expired: the next call refreshes silently`, async () => {
      await new Promise((resolve) => setTimeout(resolve, (WEB_ACCESS_TOKEN_TTL + 1) * 1000));
      await page.click('#orders');
      await text('#refreshes', '1');
      await text('#result', '200');
    });
    await step('sign out: refresh token revoked, every cookie cleared', async () => {
      await page.click('#logout');
      await text('#status', 'signed out');
      const left = await context.cookies(spa.url);
      if (left.length > 0) throw new Error(`cookies left: ${left.map((cookie) => cookie.name).join(', ')}`);
    });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return passed;
}
