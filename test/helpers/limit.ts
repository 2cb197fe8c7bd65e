/**
 * At most `max` of the wrapped calls run at once; the others wait their turn. The HTTP case
 * tables register hundreds of cases per file (each case one issuer and one app, × four adapters),
 * and ava starts all tests of a file together: unbounded, a loaded machine turns the cases' JWKS
 * fetches into timeouts (503s) that say nothing about the code under test.
 */
export function createLimiter(max: number): <T>(run: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await run();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

/** The limiter the case tables share within one test file (one process per file). */
export const limitCases = createLimiter(8);
