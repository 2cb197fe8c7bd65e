// The suites that run a second time with the WebCrypto backend forced on Node: the same
// expectations, with `@resource-guard/core` resolving `#crypto-backend` to its WebCrypto module.
import { readFileSync } from 'node:fs';

const { ava } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default {
  ...ava,
  nodeArguments: [...ava.nodeArguments, '--conditions=resource-guard-webcrypto'],
  files: [
    'test/crypto/**/*.test.ts',
    'test/jwt/http.test.ts',
    'test/http/*.test.ts',
    'test/introspection/http.test.ts',
    'test/metadata/http.test.ts',
    'test/dpop/http.test.ts',
    'test/dpop/security.test.ts',
    'test/dpop/nonce.test.ts',
    'test/jws/security.test.ts',
    'test/fuzz/jose-differential.fuzz.test.ts',
    'test/mtls/*.test.ts',
    'test/fapi/requests.test.ts',
    'test/fastify/*.test.ts',
    'test/fetch/*.test.ts',
    'test/http-signatures/verify-request.test.ts',
    'test/http-signatures/round-trip.test.ts',
  ],
};
