// The second pass of `npm test`: the same suites with the WebCrypto backend forced on Node (the
// same expectations, with `@resource-guard/core` resolving `#crypto-backend` to its WebCrypto
// module). Chosen by folder, so that a new test file runs on both backends without a list to edit:
// every test under test/ but the folders below, which drive whole processes (the sample apps and
// the dev authorization server in e2e/, a real browser in browser/, the benchmark harness in
// bench/) rather than the core's checks, which their own folders already run on both backends,
// and jwe/ (decryption with private keys, a capability only the `node` backend has);
// and every file named `*.node.test.ts`: a suite of a Node-only capability of the `node` backend
// (JWE decryption with private keys, synchronous verification and the libuv thread pool, events on
// `node:diagnostics_channel`).
import { readFileSync } from 'node:fs';

const { ava } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** Test folders that the WebCrypto pass leaves out (see above). */
export const NODE_ONLY_FOLDERS = ['e2e', 'browser', 'bench', 'jwe'];

export default {
  ...ava,
  nodeArguments: [...ava.nodeArguments, '--conditions=resource-guard-webcrypto'],
  files: [...ava.files, ...NODE_ONLY_FOLDERS.map((folder) => `!test/${folder}/**`), '!test/**/*.node.test.ts'],
};
