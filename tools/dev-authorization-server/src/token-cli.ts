/**
 * `npm run dev-token -- <jwt|opaque|dpop> [--scope "a b"] [--client id] [--url URL] [--method M]`:
 * a token from the running dev authorization server (ISSUER, default http://127.0.0.1:9000) and a
 * curl command that sends it. DEVELOPMENT ONLY.
 */
import { parseArgs } from 'node:util';
import { getDevToken, type DevTokenKind } from './tokens.js';

const KINDS: readonly DevTokenKind[] = ['jwt', 'opaque', 'dpop'];
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { scope: { type: 'string' }, client: { type: 'string' }, url: { type: 'string' }, method: { type: 'string' } },
});
const kind = (positionals[0] ?? 'jwt') as DevTokenKind;
if (!KINDS.includes(kind)) {
  console.error(`usage: npm run dev-token -- <${KINDS.join('|')}> [--scope "orders:read admin"] [--client demo-client] [--url http://127.0.0.1:3000/orders] [--method GET]`);
  process.exit(2);
}
const issuer = process.env['ISSUER'] ?? 'http://127.0.0.1:9000';
try {
  const token = await getDevToken({ issuer, kind, ...values });
  console.log(`# ${kind} token for ${values.client ?? 'demo-client'}, scope ${values.scope ?? 'orders:read'}, valid ${token.expiresIn} s`);
  console.log(`TOKEN='${token.accessToken}'`);
  if (token.proof !== undefined) {
    console.log(`# the proof is for one ${values.method ?? 'GET'} ${values.url ?? 'http://127.0.0.1:3000/orders'}: sent twice it is a replay (run this again for another)`);
    console.log(`PROOF='${token.proof}'`);
  }
  console.log(token.curl);
} catch (error) {
  console.error(`dev-token: ${(error as Error).message} (is the dev authorization server running at ${issuer}? npm run dev-as)`);
  process.exit(1);
}
