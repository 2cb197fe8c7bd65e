/** `--serve`: copy-paste `curl` commands, with fresh tokens, for trying the running APIs by hand. */
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { requestToken } from './client.js';
import type { ApiTarget, FlowContext } from './flows.js';
import { bold, dim } from './table.js';

/** Fetches a JWT and an opaque token for `demo-client` (scope `orders:read`) and prints the commands, for every API. */
export async function printCurlCommands(context: FlowContext, issuer: string, apis: readonly ApiTarget[]): Promise<void> {
  const scope = 'orders:read';
  const jwt = await requestToken(context.as, CLIENTS.demo, { scope, resource: RESOURCES.jwt });
  const opaque = await requestToken(context.as, CLIENTS.demo, { scope, resource: RESOURCES.opaque });
  const first = apis[0]!;
  const { clientId, clientSecret } = CLIENTS.demo;
  const minutes = Math.round((jwt.expires_in ?? 600) / 60);
  const lines = [
    bold(`Everything keeps running. Try it by hand (tokens for ${clientId}, scope ${scope}, valid ${minutes} min); Ctrl-C stops all.`),
    '',
    `JWT='${jwt.access_token}'`,
    `OPAQUE='${opaque.access_token}'`,
    '',
    ...apis.flatMap((api) => [
      dim(`# ${api.framework} API at ${api.url}`),
      `curl -i ${api.url}/me                                   ${dim('# 401, no token')}`,
      `curl -i -H "Authorization: Bearer $JWT" ${api.url}/orders  ${dim('# 200, orders:read')}`,
      `curl -i -H "Authorization: Bearer $JWT" ${api.url}/admin   ${dim('# 403 insufficient_scope')}`,
      `curl -i -H "Authorization: Bearer $OPAQUE" ${api.url}/me   ${dim('# 200 via introspection at the AS')}`,
    ]),
    '',
    dim('# a DPoP-bound token with a proof for one request (a second use is a replay: 401 invalid_dpop_proof)'),
    `ISSUER=${issuer} npm run -s dev-token -- dpop --url ${first.url}/me`,
    dim('# other scopes or clients: --scope "orders:read admin", --client limited-client; an opaque token: opaque'),
    `ISSUER=${issuer} npm run -s dev-token -- jwt --scope "orders:read orders:write"`,
    '',
    dim('# revoke the opaque token (then the APIs refuse it within their introspection cache TTL)'),
    `curl -i -u ${clientId}:${clientSecret} -d "token=$OPAQUE" ${context.as.revocation_endpoint ?? `${issuer}/token/revocation`}`,
    dim('# a fresh JWT (resource=' + RESOURCES.opaque + ' for an opaque one)'),
    `curl -s -u ${clientId}:${clientSecret} -d grant_type=client_credentials -d scope=${scope} -d resource=${RESOURCES.jwt} ${context.as.token_endpoint ?? `${issuer}/token`}`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
}
