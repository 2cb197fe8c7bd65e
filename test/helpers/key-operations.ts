/**
 * Counts the key operations the process makes, through both crypto backends and jose: private-key
 * operations (WebCrypto `decrypt`/`deriveBits`/`unwrapKey` with a private key: RSA-OAEP, ECDH) and
 * asymmetric signature verifications (`node:crypto` `verify`, WebCrypto `verify` with a public
 * key). Tests of the pre-authentication budget assert on these counts, never on time. The counters
 * are process-wide: use them in `test.serial` tests only.
 */
import type * as NodeCrypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { TestFn } from 'ava';

const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto') as typeof NodeCrypto;

/** Operations counted since {@link countKeyOperations} (or the last `reset()`). */
export interface KeyOperationCounter {
  privateKey: number;
  verify: number;
  /** Of `verify`, those on libuv's thread pool: `node:crypto` `verify` with a callback, WebCrypto `verify`. */
  pooled: number;
  reset(): void;
  /** Puts the original functions back. */
  restore(): void;
}

type Subtle = Record<'decrypt' | 'deriveBits' | 'unwrapKey' | 'verify', (...args: unknown[]) => Promise<unknown>>;

/** Starts counting; call `restore()` when done. */
export function countKeyOperations(): KeyOperationCounter {
  const counter: KeyOperationCounter = {
    privateKey: 0,
    verify: 0,
    pooled: 0,
    reset() {
      counter.privateKey = 0;
      counter.verify = 0;
      counter.pooled = 0;
    },
    restore() {
      nodeCrypto.verify = originalVerify;
      syncBuiltinESMExports();
      for (const [name, original] of Object.entries(originals)) subtle[name as keyof Subtle] = original;
    },
  };
  const originalVerify = nodeCrypto.verify;
  nodeCrypto.verify = ((...args: Parameters<typeof originalVerify>) => {
    counter.verify += 1;
    if (typeof args[4] === 'function') counter.pooled += 1;
    return (originalVerify as (...all: unknown[]) => unknown)(...args);
  }) as typeof originalVerify;
  syncBuiltinESMExports();

  const subtle = globalThis.crypto.subtle as unknown as Subtle;
  const originals = { decrypt: subtle.decrypt, deriveBits: subtle.deriveBits, unwrapKey: subtle.unwrapKey, verify: subtle.verify };
  // Which argument holds the key, and which kind of key makes the call count as what.
  const spies: ReadonlyArray<[keyof Subtle, number, 'private' | 'public', 'privateKey' | 'verify']> = [
    ['decrypt', 1, 'private', 'privateKey'], ['deriveBits', 1, 'private', 'privateKey'],
    ['unwrapKey', 2, 'private', 'privateKey'], ['verify', 1, 'public', 'verify'],
  ];
  for (const [name, at, type, kind] of spies) {
    subtle[name] = function spy(...args) {
      if ((args[at] as { type?: string } | undefined)?.type === type) {
        counter[kind] += 1;
        if (kind === 'verify') counter.pooled += 1;
      }
      return originals[name].apply(globalThis.crypto.subtle, args);
    };
  }
  return counter;
}

/** {@link countKeyOperations} for a whole test file: counting from now, restored in `test.after.always`. */
export function useKeyOperationCounter(suite: { after: TestFn['after'] }): KeyOperationCounter {
  const counter = countKeyOperations();
  suite.after.always(() => counter.restore());
  return counter;
}
