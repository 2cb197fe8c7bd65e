/**
 * The Express and Koa middleware with a stand-in exchange: what reaches the next handler, how a
 * rejection and an unexpected failure are answered, and argument checks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import Koa from 'koa';
import { InvalidTokenError } from '@resource-guard/core';
import type { CredentialExchange } from '@resource-guard/gateway';
import { gateway as expressGateway } from '@resource-guard/gateway/express';
import { gateway as koaGateway } from '@resource-guard/gateway/koa';

const stub = (outcome: () => Promise<string>): CredentialExchange => ({
  exchange: outcome,
  strip: (headers) => {
    delete headers['x-client-credential'];
  },
});

async function serve(framework: 'express' | 'koa', exchange: CredentialExchange, logged: string[]): Promise<{ url: string; close: () => void }> {
  const errors = { logger: { error: (line: string) => logged.push(line) } };
  const echo = (headers: http.IncomingHttpHeaders) => JSON.stringify({ authorization: headers.authorization, credential: headers['x-client-credential'] ?? null });
  let listener: http.RequestListener;
  if (framework === 'express') {
    const app = express();
    app.use(expressGateway(exchange, { errors }), (req, res) => {
      res.type('json').send(echo(req.headers));
    });
    listener = app;
  } else {
    const app = new Koa();
    app.use(koaGateway(exchange, { errors }));
    app.use((ctx) => {
      ctx.type = 'json';
      ctx.body = echo(ctx.req.headers);
    });
    listener = app.callback();
  }
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

for (const framework of ['express', 'koa'] as const) {
  test(`${framework}: the next handler sees the JWT and neither the client's Authorization nor its credential`, async (t) => {
    const server = await serve(framework, stub(async () => 'the.forwarded.jwt'), []);
    t.teardown(server.close);
    const response = await fetch(server.url, { headers: { authorization: 'Bearer client', 'x-client-credential': 'secret' } });
    t.deepEqual(await response.json(), { authorization: 'Bearer the.forwarded.jwt', credential: null });
  });

  test(`${framework}: a rejection is answered with its status, challenge and JSON body`, async (t) => {
    const rejection = new InvalidTokenError('Token is not active', 'ERR_INTROSPECTION_INACTIVE').withHeaders({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    const server = await serve(framework, stub(() => Promise.reject(rejection)), []);
    t.teardown(server.close);
    const response = await fetch(server.url);
    t.is(response.status, 401);
    t.is(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    t.is((await response.json() as { error: string }).error, 'invalid_token');
  });

  test(`${framework}: an unexpected failure is a 500 that shows nothing of it, logged by name only`, async (t) => {
    const logged: string[] = [];
    const server = await serve(framework, stub(() => Promise.reject(new RangeError('secret detail'))), logged);
    t.teardown(server.close);
    const response = await fetch(server.url);
    t.is(response.status, 500);
    t.false((await response.text()).includes('secret detail'));
    t.deepEqual(logged, ['resource-guard: gateway exchange failed: RangeError']);
  });

  test(`${framework}: gateway() without an exchange is a TypeError`, (t) => {
    const factory = framework === 'express' ? expressGateway : koaGateway;
    t.throws(() => factory(undefined as never), { instanceOf: TypeError });
    t.throws(() => factory({ exchange: async () => 'x' } as never), { instanceOf: TypeError });
  });
}
