/* global Bun */
/**
 * Bun: `Bun.serve` on the loopback port the driver chose, serving the app of `app.mjs` with the
 * adapter module named by `RG_ADAPTER` (the package, resolved with Bun's own conditions, or the
 * WebCrypto bundle). Prints one JSON line once listening.
 */
import { createApp } from './app.mjs';

const config = JSON.parse(process.env.RG_CONFIG);
const adapter = await import(config.adapter);
const server = Bun.serve({ hostname: '127.0.0.1', port: config.port, fetch: createApp(adapter, config) });
console.log(JSON.stringify({ listening: server.port, version: Bun.version }));
