/**
 * Runs the dev authorization server standalone: `npm run dev-as` (PORT, HOST env; default
 * 127.0.0.1:9000). DEVELOPMENT ONLY.
 */
import { CLIENT_CERT_HEADER, startAuthorizationServer } from './index.js';

const port = Number.parseInt(process.env['PORT'] ?? '9000', 10);
const host = process.env['HOST'] ?? '127.0.0.1';

const as = await startAuthorizationServer({ port, host, log: true });

const rule = '='.repeat(72);
console.log(`${rule}
  DEVELOPMENT ONLY — do not use in production.
  In-memory keys and tokens (lost on restart), public client secrets,
  client certificates accepted from the ${CLIENT_CERT_HEADER} header.
${rule}
issuer:     ${as.issuer}
discovery:  ${as.issuer}/.well-known/openid-configuration
resources:  ${as.resources.jwt}    (JWT access tokens, ES256, typ at+jwt)
            ${as.resources.opaque} (opaque access tokens, introspect them)
            ${as.resources.encrypted} (encrypted JWT access tokens, JWE around the JWS)
            http://127.0.0.1:<port>/<path> (JWT access tokens for local MCP servers)

clients (client_secret_basic):`);
for (const c of Object.values(as.clients)) {
  console.log(`  ${c.clientId.padEnd(19)} ${c.clientSecret.padEnd(26)} ${c.description}`);
}
console.log(`
try:
  curl -s -u demo-client:demo-client-secret -d grant_type=client_credentials \\
    -d scope=orders:read -d resource=${as.resources.jwt} ${as.issuer}/token
${rule}`);

let closing = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (closing) return;
  closing = true;
  console.log(`\n[dev-as] ${signal}: shutting down`);
  as.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('[dev-as] error while closing:', err);
      process.exit(1);
    },
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
