/**
 * `npm run demo`: starts the dev authorization server (in this process) and the Express, Koa,
 * Fastify and Hono sample APIs (child processes) and the inventory API the Express one calls by token exchange, walks every flow against each with oauth4webapi, prints the
 * table, stops everything and exits non-zero if any flow misbehaved.
 * It then walks the SPA example (token handler) in a headless chromium when one is installed.
 * `npm run demo -- --serve` keeps everything running and prints curl commands and the SPA's URL; Ctrl-C stops all.
 * `--verbose` shows the APIs' own output (Express logs every rejection with its stack trace).
 */
import { randomBytes } from 'node:crypto';
import { startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { redisServerInstalled, startRedisServer, type TestRedisServer } from '@resource-guard-tools/launchers';
import { createFlowContext, FLOWS, SCALE_OUT_FLOWS, type ApiTarget } from './flows.js';
import { exchangeFlows, startInventory, type Inventory } from './exchange-flows.js';
import { GATEWAY_FLOWS, startGateways } from './gateway-flows.js';
import { MCP_FLOWS, startMcpServers } from './mcp-flows.js';
import { freePort, mainOf, startApi, stopAll } from './processes.js';
import { renderMetricsSummary } from './metrics-summary.js';
import { runFlow, runFlows, type FlowResult } from './run.js';
import { printCurlCommands } from './serve.js';
import { startSpa, walkSpa } from './spa-flow.js';
import { apiEnvironment, DEMO_SETTINGS } from './settings.js';
import { bold, dim, green, red, renderTable } from './table.js';

const args = process.argv.slice(2);
const serve = args.includes('--serve');
const verbose = args.includes('--verbose');
let as: DevAuthorizationServer | undefined;
let redis: TestRedisServer | undefined;
let inventory: Inventory | undefined;
let exitCode = 0;
let stopping: Promise<void> | undefined;

/** Stops the API processes and the AS, once, however we got here. */
function cleanup(): Promise<void> {
  stopping ??= (async () => {
    await stopAll();
    await inventory?.close();
    await as?.close();
    await redis?.stop();
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping !== undefined) return;
    console.log(dim(`\n${signal}: stopping everything…`));
    // Ctrl-C is how --serve is meant to end; otherwise it is an interruption.
    const code = serve && as !== undefined ? exitCode : 130;
    void cleanup().finally(() => process.exit(code));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  console.log(bold('resource-guard demo') + dim(' — a real authorization server, four real APIs, a real OAuth client\n'));

  as = await startAuthorizationServer();
  const issuer = as.issuer;
  console.log(dim(`[dev-as] ${issuer} (oidc-provider, in this process) — DEVELOPMENT ONLY`));
  if (redisServerInstalled) {
    redis = await startRedisServer();
    console.log(dim(`[redis] ${redis.url} (redis-server, child process, no persistence)`));
  }
  inventory = await startInventory(issuer);
  console.log(dim(`[inventory-api] ${inventory.url} (Express, in this process; audience urn:resource-guard:inventory-api)`));
  // The Express API calls it by token exchange; exchanged tokens cached in Redis are sealed with this key.
  const exchangeEnv = { INVENTORY_URL: inventory.url, EXCHANGE_ENCRYPTION_KEY: randomBytes(32).toString('base64url') };
  const env = (extra: Record<string, string>) => (port: number) => ({
    ...apiEnvironment(issuer, port), ...(redis === undefined ? {} : { REDIS_URL: redis.url }), ...exchangeEnv, ...extra,
  });
  const packages = [
    ['express', '@resource-guard-examples/express-api'], ['koa', '@resource-guard-examples/koa-api'],
    ['fastify', '@resource-guard-examples/fastify-api'], ['hono', '@resource-guard-examples/hono-api'],
  ] as const;
  // The Express API runs with OpenTelemetry and a Prometheus exporter (src/otel.ts): its metrics are summarised at the end.
  const metricsPort = await freePort();
  const primaries = await Promise.all(packages.map(([framework, name]) => (framework === 'express'
    ? startApi('express-api', mainOf(name, 'otel.js'), env({ OTEL_PROMETHEUS_PORT: String(metricsPort) }), { echo: verbose })
    : startApi(`${framework}-api`, mainOf(name), env({}), { echo: verbose }))));
  // With Redis, a second instance of each API shares it; proofs name the first one's origin, as behind one load balancer.
  const peers = redis === undefined ? [] : await Promise.all(packages.map(([framework, name], index) =>
    startApi(`${framework}-api #2`, mainOf(name), env({ DPOP_BASE_URL: primaries[index]!.url }), { echo: verbose })));
  const processes = [...primaries, ...peers];
  for (const p of processes) console.log(dim(`[${p.name}] ${p.url} (child process ${p.child.pid ?? '?'})`));
  const apis: ApiTarget[] = packages.map(([framework], index) => ({ framework, url: primaries[index]!.url, peer: peers[index]?.url }));

  const context = {
    ...await createFlowContext(issuer), introspectionRequests: () => as!.introspectionRequests, tokensExchanged: () => as!.tokensExchanged,
  };
  console.log(dim(`\nwalking ${FLOWS.length} flows against all ${apis.length} APIs with oauth4webapi (ready in ${Date.now() - started} ms)…\n`));
  const results = await runFlows(context, apis);
  console.log(renderTable(results));
  if (redis === undefined) {
    console.log(dim(`
Skipped: two instances of each API sharing one Redis (redis-server is not installed here).
To see it: install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)
and run npm run demo again; the demo starts its own redis-server on a free loopback port.`));
  } else {
    console.log(bold('\nTwo instances of each API sharing one Redis (REDIS_URL; @resource-guard/redis)\n'));
    const shared: FlowResult[] = [];
    // One at a time: the introspection count must see only this flow's calls.
    for (const flow of SCALE_OUT_FLOWS) for (const api of apis) shared.push(await runFlow(context, flow, api));
    console.log(renderTable(shared));
    results.push(...shared);
  }

  console.log(bold('\nToken exchange (RFC 8693): the Express API calling the inventory API for its caller\n'));
  const express = apis.find((api) => api.framework === 'express')!;
  const exchanged: FlowResult[] = [];
  // One at a time: the exchange count must see only this flow's calls.
  for (const flow of exchangeFlows(() => inventory!.url)) exchanged.push(await runFlow(context, flow, express));
  console.log(renderTable(exchanged));
  results.push(...exchanged);

  console.log(bold('\nThrough the example gateway (http-proxy-middleware, in this process) in front of the Express and Koa APIs\n'));
  const { targets, gateways } = await startGateways(as, apis);
  try {
    const proxied = await runFlows(context, targets, GATEWAY_FLOWS);
    console.log(renderTable(proxied));
    results.push(...proxied);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  }

  console.log(bold('\nMCP servers (examples/mcp-server, in this process) on Express, Koa, Fastify and Hono, called with Mcp-Method/Mcp-Name headers\n'));
  const mcp = await startMcpServers(issuer);
  try {
    const called = await runFlows(context, mcp.targets, MCP_FLOWS);
    console.log(renderTable(called));
    results.push(...called);
  } finally {
    await Promise.all(mcp.servers.map((server) => server.close()));
  }

  console.log(bold('\nThe token handler, whole: the SPA example in a headless browser (OAuth agent + proxy in front of the Express API)\n'));
  const spa = await startSpa(as, apis.find((api) => api.framework === 'express')!.url);
  const spaPassed = await walkSpa(spa, as);
  if (!serve) await spa.close();

  console.log(bold(`\nWhat the Express API's guard recorded (OpenTelemetry → Prometheus, http://127.0.0.1:${metricsPort}/metrics)\n`));
  console.log(await renderMetricsSummary(`http://127.0.0.1:${metricsPort}/metrics`).catch((error: unknown) => red(`  no metrics: ${String(error)}`)));

  const failed = results.filter((r) => !r.verdict.pass);
  console.log(dim(`
Tokens from the AS token endpoint (client credentials); introspection and revocation at the AS;
DPoP proofs from oauth4webapi. APIs: store ${redis === undefined ? 'memory (per process)' : 'Redis (shared)'}, clock tolerance ${DEMO_SETTINGS.clockTolerance} s, introspection cache ${DEMO_SETTINGS.introspectionCacheTtl} s.
mTLS: no TLS here — the APIs (MTLS_CERT_HEADER) and the AS read the client certificate from the
${DEMO_SETTINGS.certHeader} header, standing in for a TLS-terminating proxy that verified it.`));
  const elapsed = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  console.log(failed.length === 0
    ? green(`\n✔ all ${results.length} checks passed in ${elapsed}`)
    : red(`\n✘ ${failed.length} of ${results.length} checks failed (${elapsed})`));
  if (spaPassed === false) console.log(red('✘ the SPA walk failed'));
  exitCode = failed.length === 0 && spaPassed !== false ? 0 : 1;
  if (failed.length > 0 && !verbose) console.log(dim('(the APIs\' own logs: npm run demo -- --verbose)'));

  if (serve) {
    await printCurlCommands(context, issuer, apis);
    console.log(`${bold('The SPA (token handler):')} open ${spa.url} in a browser (sign in with any user name).\n`);
    for (const p of processes) p.echo(true);
    await new Promise<never>(() => {
      // Runs until Ctrl-C (the signal handler cleans up and exits).
    });
  }
  return exitCode;
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(red('demo failed:'), error);
    await cleanup().catch(() => undefined);
    process.exit(1);
  },
);
