/**
 * Discovery that answers 404 at both well-known URLs is a misconfiguration, not an outage: 500
 * `ERR_DISCOVERY_NOT_FOUND`, logged once with the URLs tried, not refetched per request, tried
 * again after a bounded interval. Against a real loopback server, not an HTTP mock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { DISCOVERY_NOT_FOUND_RETRY } from '../../packages/core/dist/issuer/trusted-issuer.js';
import { startApp } from '../helpers/apps.js';
import { send } from '../helpers/http.js';
import { AUDIENCE, startMockIssuer } from '../helpers/issuer.js';
import { recordingLogger, rejection, requestWith } from '../helpers/introspection.js';

/** A loopback server answering `status(path)` (default 404 for everything), recording the paths asked for. */
async function startServer(status: (path: string) => number = () => 404): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status(req.url ?? ''), { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const someJwt = (iss: string) => {
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment({ alg: 'ES256', typ: 'at+jwt', kid: 'k' })}.${segment({ iss, aud: AUDIENCE })}.c2lnbmF0dXJl`;
};

test('404 at both URLs: 500 ERR_DISCOVERY_NOT_FOUND, one log line with the URLs and the fix, two fetches for 60 requests', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const issuer = `${server.url}/tenant-a/`;
  let now = Date.now();
  const logger = recordingLogger();
  const guard = createGuard({ issuer, audience: AUDIENCE, logger, clock: () => now });
  const token = someJwt(issuer);

  const errors = await Promise.all(Array.from({ length: 30 }, () => rejection(t, guard.verify(requestWith(token)))));
  for (let i = 0; i < 30; i += 1) errors.push(await rejection(t, guard.verify(requestWith(token))));
  for (const error of errors) {
    t.is(error.code, 'ERR_DISCOVERY_NOT_FOUND');
    t.is(error.status, 500);
    t.is(error.headers['Retry-After'], undefined, 'not an outage: no Retry-After');
  }
  t.deepEqual(server.paths, ['/tenant-a/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/tenant-a']);
  t.is(logger.lines.length, 1);
  t.regex(logger.lines[0]!, /^error: resource-guard: Discovery found no metadata for the issuer: /);
  t.true(logger.lines[0]!.includes(`GET ${server.url}/tenant-a/.well-known/openid-configuration and GET ${server.url}/.well-known/oauth-authorization-server/tenant-a answered 404`));
  t.regex(logger.lines[0]!, /set "jwksUri"/);
  t.regex(errors[0]!.detail!, /answered 404; check "issuer"/);
  t.false(logger.lines[0]!.includes(token));

  // Past the interval, discovery is tried again (still 404: no second log line).
  now += (DISCOVERY_NOT_FOUND_RETRY - 1) * 1000;
  await rejection(t, guard.verify(requestWith(token)));
  t.is(server.paths.length, 2, 'not before the interval is over');
  now += 1000;
  t.is((await rejection(t, guard.verify(requestWith(token)))).code, 'ERR_DISCOVERY_NOT_FOUND');
  t.is(server.paths.length, 4);
  t.is(logger.lines.length, 1, 'logged once, not once per interval');
});

test('a fixed authorization server is picked up after the interval, without a restart', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  issuer.mode = 'not-found';
  let now = Date.now();
  const logger = recordingLogger();
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, logger, clock: () => now });
  const token = await issuer.sign();
  t.is((await rejection(t, guard.verify(requestWith(token)))).code, 'ERR_DISCOVERY_NOT_FOUND');
  issuer.mode = 'ok';
  t.is((await rejection(t, guard.verify(requestWith(token)))).code, 'ERR_DISCOVERY_NOT_FOUND', 'kept during the interval');
  t.is(issuer.hits.discovery, 1);
  now += DISCOVERY_NOT_FOUND_RETRY * 1000;
  const auth = await guard.verify(requestWith(token));
  t.is(auth.issuer, issuer.issuer);
  t.is(issuer.hits.discovery, 2);
  t.is(logger.lines.length, 1);
});

test('other discovery failures stay outages: 404 then 500 → 503 with Retry-After, retried on the next request, nothing logged', async (t) => {
  const server = await startServer((path) => (path.startsWith('/.well-known/oauth-authorization-server') ? 500 : 404));
  t.teardown(() => server.close());
  const logger = recordingLogger();
  const guard = createGuard({ issuer: server.url, audience: AUDIENCE, logger });
  const token = someJwt(server.url);
  for (let i = 0; i < 3; i += 1) {
    const error = await rejection(t, guard.verify(requestWith(token)));
    t.is(error.code, 'ERR_DISCOVERY_UNAVAILABLE');
    t.is(error.status, 503);
    t.truthy(error.headers['Retry-After']);
    t.regex(error.detail!, /^GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-authorization-server$/);
  }
  t.is(server.paths.length, 6, 'an outage is never kept');
  t.deepEqual(logger.lines, []);
});

test('metadata naming another issuer: the detail shows both names', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  issuer.metadata.issuer = `${issuer.issuer}/`;
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE });
  const error = await rejection(t, guard.verify(requestWith(await issuer.sign())));
  t.is(error.code, 'ERR_DISCOVERY_UNAVAILABLE');
  t.true(error.detail!.includes(`named issuer "${issuer.issuer}/", expected "${issuer.issuer}"`));
});

test('through Express: the 500 response carries neither the URLs nor a Retry-After; the log line is written once', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const logger = recordingLogger();
  const options: GuardOptions = { issuer: server.url, audience: AUDIENCE, logger };
  const app = await startApp('express', options);
  t.teardown(() => app.close());
  const token = someJwt(server.url);
  for (let i = 0; i < 5; i += 1) {
    const response = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${token}` } });
    t.is(response.status, 500);
    t.is(response.headers['retry-after'], undefined);
    t.false(`${JSON.stringify(response.headers)}${response.body}`.includes('.well-known'));
  }
  t.is(server.paths.length, 2);
  t.is(logger.lines.length, 1);
});
