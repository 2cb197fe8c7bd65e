/**
 * The demo's claims, proven on every `npm test`: every flow of `npm run demo` (the same
 * definitions, from `@resource-guard-examples/demo`) against all four sample APIs, with the real dev
 * authorization server (in-process) and the real client library (oauth4webapi). The APIs run
 * in-process from their `createApp` exports, configured by the same environment the demo gives
 * its child processes. Assertions: status, the strictly parsed WWW-Authenticate challenge, and the
 * user context of successes — plus the demo's own verdict, so the table cannot disagree.
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp as createExpressApp } from '@resource-guard-examples/express-api';
import { createApp as createKoaApp } from '@resource-guard-examples/koa-api';
import { createApp as createFastifyApp } from '@resource-guard-examples/fastify-api';
import { createApp as createHonoApp } from '@resource-guard-examples/hono-api';
import { getRequestListener } from '@hono/node-server';
import { readApiConfig } from '@resource-guard-examples/shared';
import { startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import {
  apiEnvironment, createFlowContext, FLOWS, judge, type ApiTarget, type FlowContext,
} from '@resource-guard-examples/demo';
import { findChallenge } from '../helpers/challenge.js';

interface Running extends ApiTarget {
  close(): Promise<void>;
}

async function listen(framework: string, handler: http.RequestListener): Promise<Running> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    framework,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let as: DevAuthorizationServer;
let context: FlowContext;
const apis = new Map<string, Running>();

test.before(async () => {
  as = await startAuthorizationServer();
  const { guard } = readApiConfig(apiEnvironment(as.issuer, 0), 0);
  apis.set('express', await listen('express', createExpressApp(guard) as http.RequestListener));
  apis.set('koa', await listen('koa', createKoaApp(guard).callback()));
  const fastify = await createFastifyApp(guard);
  await fastify.ready();
  apis.set('fastify', await listen('fastify', fastify.routing as http.RequestListener));
  apis.set('hono', await listen('hono', getRequestListener(createHonoApp(guard).fetch, { overrideGlobalObjects: false })));
  context = await createFlowContext(as.issuer);
});

test.after.always(async () => {
  await Promise.all([...apis.values()].map((api) => api.close()));
  await as?.close();
});

test('the demo walks every flow', (t) => {
  t.deepEqual(FLOWS.map((flow) => flow.id), [
    'no-token', 'jwt-scope', 'jwt-missing-scope', 'jwt-expired', 'jwt-tampered', 'jwe', 'opaque', 'opaque-revoked',
    'dpop', 'dpop-as-bearer', 'dpop-replay', 'mtls', 'mtls-wrong-cert',
  ]);
});

for (const flow of FLOWS) {
  for (const framework of ['express', 'koa', 'fastify', 'hono']) {
    test(`${framework}: ${flow.title}`, async (t) => {
      const api = apis.get(framework)!;
      const observation = await flow.run(context, api);
      const { expected } = flow;

      t.is(observation.failedStep, undefined, 'an earlier step of the flow failed');
      t.is(observation.status, expected.status);
      if (expected.error !== undefined) {
        const challenge = findChallenge(observation.wwwAuthenticate, expected.scheme ?? 'Bearer');
        t.truthy(challenge, `a ${expected.scheme ?? 'Bearer'} challenge`);
        t.is(challenge?.params['error'], expected.error ?? undefined);
        if (expected.scope !== undefined) t.is(challenge?.params['scope'], expected.scope);
      }
      if (expected.auth !== undefined) {
        t.truthy(observation.auth, 'GET /me answered the user context');
        t.like(observation.auth, expected.auth);
      }
      const verdict = judge(expected, observation);
      t.deepEqual(verdict.problems, [], "the demo's verdict agrees");
      t.true(verdict.pass);
    });
  }
}
