/**
 * One guard for every route handler of the app (module scope: created once per server instance,
 * so key sets and caches are shared). Reads the same variables as the other samples.
 */
import { createGuard } from '@resource-guard/fetch';

export const guard = createGuard({
  issuer: process.env.ISSUER ?? 'http://127.0.0.1:9000',
  audience: (process.env.AUDIENCE ?? 'urn:resource-guard:jwt-api').split(',').map((item) => item.trim()),
  realm: 'sample-api',
});
