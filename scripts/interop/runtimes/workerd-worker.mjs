/**
 * workerd: the app of `app.mjs` as a module Worker. The driver bundles this file with
 * `@resource-guard/fetch` and the core into one ES module, resolved with the conditions Wrangler
 * uses (`workerd`, `worker`, `browser`), and passes the config as the `RG_CONFIG` text binding.
 * The guards are created on the first request (a Worker does no I/O at start-up) and kept.
 */
import * as adapter from '@resource-guard/fetch';
import { createApp } from './app.mjs';

let handle;

export default {
  fetch(request, env) {
    handle ??= createApp(adapter, JSON.parse(env.RG_CONFIG));
    return handle(request);
  },
};
