/**
 * Tokens for trying an API by hand (`npm run dev-token`), from the real dev authorization server:
 * each kind the demo uses is accepted by a guard configured as the sample APIs are, the DPoP proof
 * once only; and `npm run demo -- --serve` prints curl commands for every framework.
 */
import test from 'ava';
import { createGuard, type GuardError } from '@resource-guard/core';
import { getDevToken, startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { createFlowContext, printCurlCommands, type ApiTarget } from '@resource-guard-examples/demo';

let as: DevAuthorizationServer;
test.before(async () => {
  as = await startAuthorizationServer();
});
test.after.always(async () => {
  await as?.close();
});

const API = 'http://127.0.0.1:3000/orders';

function guardFor(server: DevAuthorizationServer) {
  const { clientId, clientSecret } = server.clients.resourceServer;
  return createGuard({
    issuer: server.issuer,
    audience: [server.resources.jwt, server.resources.opaque],
    introspection: { clientId, clientSecret },
    logger: { warn() {}, error() {} },
    logRejections: false,
  });
}

const request = (authorization: string, proof?: string) => ({
  method: 'GET', url: API, headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) },
});

test('jwt and opaque tokens with the scopes asked for, accepted by the guard; the curl line sends them', async (t) => {
  const guard = guardFor(as);
  const jwt = await getDevToken({ issuer: as.issuer, kind: 'jwt', scope: 'orders:read admin' });
  const jwtAuth = await guard.verify(request(`Bearer ${jwt.accessToken}`));
  t.is(jwtAuth.format, 'jwt');
  t.deepEqual([...jwtAuth.scopes].sort(), ['admin', 'orders:read']);
  t.is(jwt.curl, `curl -i -H "Authorization: Bearer ${jwt.accessToken}" ${API}`);
  const opaque = await getDevToken({ issuer: as.issuer, kind: 'opaque', client: 'limited-client', scope: 'profile:read' });
  const opaqueAuth = await guard.verify(request(`Bearer ${opaque.accessToken}`));
  t.is(opaqueAuth.format, 'opaque');
  t.is(opaqueAuth.clientId, 'limited-client');
});

test('a DPoP-bound token with a proof for one request: accepted once, a replay the second time', async (t) => {
  const guard = guardFor(as);
  const token = await getDevToken({ issuer: as.issuer, kind: 'dpop', url: API });
  t.is(token.scheme, 'DPoP');
  t.regex(token.curl, /^curl -i -X GET -H "Authorization: DPoP [^"]+" -H "DPoP: [^"]+" http:\/\/127\.0\.0\.1:3000\/orders$/);
  const auth = await guard.verify(request(`DPoP ${token.accessToken}`, token.proof));
  t.is(auth.scheme, 'DPoP');
  t.truthy(auth.confirmation?.jkt);
  const replay = await guard.verify(request(`DPoP ${token.accessToken}`, token.proof)).catch((error: unknown) => error as GuardError);
  t.is((replay as GuardError).error, 'invalid_dpop_proof');
});

test('a client or scope the dev AS refuses is an error naming its answer', async (t) => {
  await t.throwsAsync(getDevToken({ issuer: as.issuer, kind: 'jwt', client: 'nobody' }), { message: /unknown client "nobody"/ });
  await t.throwsAsync(getDevToken({ issuer: as.issuer, kind: 'jwt', client: 'limited-client', scope: 'admin' }), { message: /answered 400: invalid_scope/ });
});

test('demo --serve prints curl commands for every framework, and how to get a DPoP-bound token', async (t) => {
  const context = { ...await createFlowContext(as.issuer), introspectionRequests: () => as.introspectionRequests };
  const apis: ApiTarget[] = ['express', 'koa', 'fastify', 'hono'].map((framework, index) => ({ framework, url: `http://127.0.0.1:${4000 + index}` }));
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    await printCurlCommands(context, as.issuer, apis);
  } finally {
    console.log = log;
  }
  const output = printed.join('\n');
  for (const { url } of apis) t.true(output.includes(`-H "Authorization: Bearer $JWT" ${url}/orders`), url);
  t.true(output.includes(`ISSUER=${as.issuer} npm run -s dev-token -- dpop --url http://127.0.0.1:4000/me`));
});
