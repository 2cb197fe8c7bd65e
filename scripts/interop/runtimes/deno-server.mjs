/* global Deno */
/**
 * Deno: `Deno.serve` on the loopback port the driver chose, serving the app of `app.mjs` with the
 * adapter module named in the config (the package, resolved from node_modules with Deno's own
 * conditions, or the WebCrypto bundle). Prints one JSON line once listening.
 */
import { createApp } from './app.mjs';

const config = JSON.parse(Deno.env.get('RG_CONFIG'));
const adapter = await import(config.adapter);
Deno.serve({
  hostname: '127.0.0.1',
  port: config.port,
  onListen: ({ port }) => console.log(JSON.stringify({ listening: port, version: Deno.version.deno })),
}, createApp(adapter, config));
