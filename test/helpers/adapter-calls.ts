/**
 * The Express, Koa and Fastify middleware called directly, with only the request fields they read
 * (test/pipeline/adapters-same-tick.node.test.ts, test/pipeline/adapters-handover.test.ts).
 */
import { createGuard, type Guard } from '@resource-guard/core';
import { AUDIENCE, type MockIssuer } from './issuer.js';

/** The Node.js request fields the adapters read, for `token` as Bearer. */
export const incoming = (token: string) => ({
  method: 'GET',
  headers: { authorization: `Bearer ${token}`, host: 'api.example.test' },
  rawHeaders: ['Authorization', `Bearer ${token}`, 'Host', 'api.example.test'],
  socket: {},
});

/**
 * A guard of `issuer` with nothing loaded yet (its first token waits for the key set). Signatures
 * are checked in place (`offloadSignatures: false`): under the default `'auto'` a check goes to the
 * thread pool when another task verified in the same event-loop iteration, which a thread-pool
 * callback of the test itself (jose signing the next token) can be on a loaded machine; where the
 * check runs is test/pipeline/offload-auto.node.test.ts's subject, not these tests'.
 */
export const freshGuard = (issuer: MockIssuer): Guard => createGuard({
  issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, offloadSignatures: false, logger: { warn() {}, error() {} },
});

/** Runs `call(done)` and says whether `done` ran before `call` returned, and with what. */
export async function observe(call: (done: (error?: unknown) => void) => unknown): Promise<{ sameTick: boolean; error: unknown }> {
  let returned = false;
  let sameTick: boolean | undefined;
  let error: unknown;
  await new Promise<void>((resolve) => {
    const outcome = call((failure?: unknown) => {
      sameTick = !returned;
      error = failure;
      resolve();
    });
    returned = true;
    // Koa's middleware returns next()'s promise; a rejected one is its error path.
    if (outcome instanceof Promise) {
      outcome.catch((failure: unknown) => {
        sameTick ??= false;
        error = failure;
        resolve();
      });
    }
  });
  return { sameTick: sameTick!, error };
}
