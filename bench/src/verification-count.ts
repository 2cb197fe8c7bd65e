/**
 * Counts the signature verifications of a server child through `node:crypto` `verify`: in place
 * (no callback) and on libuv's thread pool (a callback), so the throughput table can say where
 * `offloadSignatures` sent them. Installed before any app is built; one counter per process.
 */
import type * as NodeCrypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';

const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto;

export function countVerifications(): { inline: number; pooled: number } {
  const counts = { inline: 0, pooled: 0 };
  const original = nodeCrypto.verify as (...args: unknown[]) => unknown;
  nodeCrypto.verify = ((...args: unknown[]) => {
    if (typeof args[4] === 'function') counts.pooled += 1;
    else counts.inline += 1;
    return original(...args);
  }) as typeof nodeCrypto.verify;
  syncBuiltinESMExports();
  return counts;
}
