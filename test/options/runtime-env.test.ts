/**
 * A runtime that guards its environment: Deno without `--allow-env=NODE_ENV` throws on the read
 * of `process.env.NODE_ENV` (a `NotCapable` error). The guard still starts, reads that as
 * production (nothing logged by default), and never asks for the permission.
 */
import test from 'ava';
import { createGuard } from '@resource-guard/core';

test('createGuard starts when reading NODE_ENV throws, as in production: rejections not logged by default', async (t) => {
  const original = Object.getOwnPropertyDescriptor(process, 'env')!;
  const guarded = new Proxy({}, {
    get(_target, name) {
      if (typeof name === 'string') throw new Error(`Requires env access to "${name}", run again with the --allow-env flag`);
      return undefined;
    },
  });
  Object.defineProperty(process, 'env', { ...original, value: guarded });
  t.teardown(() => Object.defineProperty(process, 'env', original));
  const debug: unknown[] = [];
  const guard = createGuard({
    issuer: 'https://as.example.com', audience: 'https://api.example.com',
    logger: { debug: (...args: unknown[]) => debug.push(args), warn() {}, error() {} },
  });
  const rejection = await guard.verify({ method: 'GET', url: 'https://api.example.com/orders', headers: {} }).catch((error: unknown) => error as { code: string });
  t.is((rejection as { code: string }).code, 'ERR_CREDENTIALS_MISSING');
  t.is(debug.length, 0);
});
