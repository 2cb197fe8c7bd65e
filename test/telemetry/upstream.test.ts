/**
 * The rarer telemetry paths, at the guard's API: a body that cannot be read, a timeout reported
 * by `fetch` itself, the default port of an https endpoint, single-flight joins of the
 * introspection cache and of an unknown-`kid` refetch, and a failed lease on the store.
 */
import test from 'ava';
import { TELEMETRY_METRICS as M, createGuard, type Store } from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, startMockIssuer } from '../helpers/issuer.js';
import { CLIENT_ID, CLIENT_SECRET, activeBody, startEndpoint } from '../helpers/introspection.js';
import { captureTelemetry, countOf } from '../helpers/telemetry.js';

const quiet = { warn() {}, error() {} };

test('a JWKS body over the size limit → response_error with its status class', async (t) => {
  const issuer = await startMockIssuer();
  const capture = captureTelemetry();
  try {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, telemetry: { meterProvider: capture.meterProvider } });
    issuer.mode = 'huge-chunked';
    t.is((await rejectionOf(guard.verify(bearerRequest(await issuer.sign())))).code, 'ERR_JWKS_UNAVAILABLE');
    t.is(countOf(await capture.metrics(), M.upstream, {
      'resource_guard.upstream.operation': 'jwks', 'resource_guard.upstream.outcome': 'response_error', 'resource_guard.upstream.status_class': '2xx',
    }), 1);
  } finally {
    await capture.shutdown();
    await issuer.close();
  }
});

test('a TimeoutError from fetch → timeout; an https endpoint without a port → server.port 443', async (t) => {
  const capture = captureTelemetry();
  try {
    const guard = createGuard({
      issuer: 'https://as.example.test', audience: AUDIENCE, jwksUri: 'https://keys.example.test/jwks', logger: quiet,
      telemetry: { meterProvider: capture.meterProvider },
      fetch: () => Promise.reject(new DOMException('The operation timed out', 'TimeoutError')),
    });
    const token = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUudGVzdCJ9.c2ln';
    t.is((await rejectionOf(guard.verify(bearerRequest(token)))).code, 'ERR_JWKS_UNAVAILABLE');
    t.is(countOf(await capture.metrics(), M.upstream, {
      'resource_guard.upstream.outcome': 'timeout', 'server.address': 'keys.example.test', 'server.port': 443, 'resource_guard.upstream.status_class': undefined,
    }), 1);
  } finally {
    await capture.shutdown();
  }
});

test('concurrent lookups of one opaque token: one miss, the others join; a store that fails its lease add is counted', async (t) => {
  const endpoint = await startEndpoint(() => ({ body: activeBody(), delay: 100 }));
  const capture = captureTelemetry();
  const fail = () => Promise.reject(new Error('down'));
  const store: Store = { get: fail, set: fail, add: fail, delete: fail };
  try {
    const guard = createGuard({
      issuer: 'https://as.example.test', audience: AUDIENCE, logger: quiet, store,
      introspection: { endpoint: endpoint.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      telemetry: { meterProvider: capture.meterProvider },
    });
    await Promise.all([1, 2, 3].map(() => guard.verify(bearerRequest('opaque-token-shared-by-three'))));
    const points = await capture.metrics();
    t.is(endpoint.calls.length, 1);
    t.is(countOf(points, M.cache, { 'resource_guard.cache.name': 'introspection', 'resource_guard.cache.result': 'miss' }), 1);
    t.is(countOf(points, M.cache, { 'resource_guard.cache.name': 'introspection', 'resource_guard.cache.result': 'join' }), 2);
    t.is(countOf(points, M.storeError, { 'resource_guard.store.purpose': 'introspection_cache', 'resource_guard.store.operation': 'add' }), 1);
    t.true(countOf(points, M.storeError, { 'resource_guard.store.operation': 'get' }) >= 1);
  } finally {
    await capture.shutdown();
    await endpoint.close();
  }
});

test('two tokens with unknown kids while the refetch is under way: fetched, then joined', async (t) => {
  const issuer = await startMockIssuer();
  const capture = captureTelemetry();
  try {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, telemetry: { meterProvider: capture.meterProvider } });
    await guard.verify(bearerRequest(await issuer.sign()));
    const rotated = issuer.createKey('ES256', 'rotated');
    issuer.published.push(rotated);
    const [first, second] = await Promise.all([issuer.sign({}, { key: rotated }), issuer.sign({}, { key: rotated })]);
    issuer.mode = 'slow';
    issuer.slowMs = 100;
    await Promise.all([guard.verify(bearerRequest(first)), guard.verify(bearerRequest(second))]);
    const points = await capture.metrics();
    t.is(countOf(points, M.jwksRefetch, { 'resource_guard.jwks.refetch.result': 'fetched' }), 1);
    t.is(countOf(points, M.jwksRefetch, { 'resource_guard.jwks.refetch.result': 'joined' }), 1);
  } finally {
    await capture.shutdown();
    await issuer.close();
  }
});
