import { backendName } from '#crypto-backend';

/**
 * The crypto backend this runtime loaded: `'node'` (`node:crypto`, chosen by the `node` export
 * condition: Node, Deno, Bun) or `'webcrypto'` (WebCrypto, every other runtime, or Node started
 * with `--conditions=resource-guard-webcrypto`). Both give the same verdicts; the WebCrypto one
 * cannot load private keys (`encryptedTokens`, `resourceMetadata.signingKey`: a `TypeError` at
 * start-up). See docs/runtimes.md.
 */
export const CRYPTO_BACKEND: 'node' | 'webcrypto' = backendName;
