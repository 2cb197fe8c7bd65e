/**
 * Counts the key operations the process makes, through both crypto backends and jose: private-key
 * operations (WebCrypto `decrypt`/`deriveBits`/`unwrapKey` with a private key: RSA-OAEP, ECDH) and
 * asymmetric signature verifications (`node:crypto` `verify`, WebCrypto `verify` with a public
 * key). Tests of the pre-authentication budget assert on these counts, never on time. The counters
 * are process-wide: use them in `test.serial` tests only.
 */
import type * as NodeCrypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto') as typeof NodeCrypto;

/** Operations counted since {@link countKeyOperations} (or the last `reset()`). */
export interface KeyOperationCounter {
  privateKey: number;
  verify: number;
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
    reset() {
      counter.privateKey = 0;
      counter.verify = 0;
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
    return (originalVerify as (...all: unknown[]) => unknown)(...args);
  }) as typeof originalVerify;
  syncBuiltinESMExports();

  const subtle = globalThis.crypto.subtle as unknown as Subtle;
  const originals = { decrypt: subtle.decrypt, deriveBits: subtle.deriveBits, unwrapKey: subtle.unwrapKey, verify: subtle.verify };
  const isPrivate = (key: unknown) => (key as CryptoKey | undefined)?.type === 'private';
  const isPublic = (key: unknown) => (key as CryptoKey | undefined)?.type === 'public';
  subtle.decrypt = function decrypt(...args) {
    if (isPrivate(args[1])) counter.privateKey += 1;
    return originals.decrypt.apply(globalThis.crypto.subtle, args);
  };
  subtle.deriveBits = function deriveBits(...args) {
    if (isPrivate(args[1])) counter.privateKey += 1;
    return originals.deriveBits.apply(globalThis.crypto.subtle, args);
  };
  subtle.unwrapKey = function unwrapKey(...args) {
    if (isPrivate(args[2])) counter.privateKey += 1;
    return originals.unwrapKey.apply(globalThis.crypto.subtle, args);
  };
  subtle.verify = function verify(...args) {
    if (isPublic(args[1])) counter.verify += 1;
    return originals.verify.apply(globalThis.crypto.subtle, args);
  };
  return counter;
}
