/**
 * The `telemetry` option: its parser, `false`, the default (the global providers, looked up per
 * request so that an SDK registered after the guard is used), and a custom error code kept out
 * of the attributes.
 */
import test from 'ava';
import { metrics, trace } from '@opentelemetry/api';
import { InvalidTokenError, TELEMETRY_METRICS as M, createGuard, type GuardOptions } from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, startMockIssuer } from '../helpers/issuer.js';
import { captureTelemetry, countOf, pointsOf } from '../helpers/telemetry.js';

const base: GuardOptions = { issuer: 'https://as.example.test', audience: AUDIENCE, jwksUri: 'https://as.example.test/jwks' };

test('bad telemetry options are TypeErrors naming them', (t) => {
  t.throws(() => createGuard({ ...base, telemetry: { meterProvider: {} as never } }), { instanceOf: TypeError, message: /"telemetry\.meterProvider"/ });
  t.throws(() => createGuard({ ...base, telemetry: { tracerProvider: null as never } }), { instanceOf: TypeError, message: /"telemetry\.tracerProvider"/ });
  t.throws(() => createGuard({ ...base, telemetry: { meters: 1 } as never }), { instanceOf: TypeError, message: /"telemetry\.meters"/ });
  t.throws(() => createGuard({ ...base, telemetry: 'on' as never }), { instanceOf: TypeError, message: /"telemetry"/ });
});

test.serial('default: the global providers, also when registered after the guard was created; false: none', async (t) => {
  const issuer = await startMockIssuer();
  const options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri };
  const guard = createGuard(options);
  const silent = createGuard({ ...options, telemetry: false });
  const token = await issuer.sign();
  await guard.verify(bearerRequest(token)); // nothing registered yet: nothing recorded anywhere
  const capture = captureTelemetry();
  metrics.setGlobalMeterProvider(capture.meterProvider);
  trace.setGlobalTracerProvider(capture.tracerProvider);
  try {
    await guard.verify(bearerRequest(token));
    await silent.verify(bearerRequest(token));
    const points = await capture.metrics();
    t.is(countOf(points, M.authenticate), 1, 'the guard created before the SDK records; telemetry: false does not');
    t.is(capture.spans().filter((span) => span.name === 'resource-guard authenticate').length, 1);
  } finally {
    metrics.disable();
    trace.disable();
    await capture.shutdown();
    await issuer.close();
  }
});

test('a custom error code and an unexpected error are _OTHER: only registry codes become attribute values', async (t) => {
  const issuer = await startMockIssuer();
  const capture = captureTelemetry();
  const guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri,
    telemetry: { meterProvider: capture.meterProvider },
    validators: { sub: () => { throw new InvalidTokenError('custom', `ERR_CUSTOM_${Math.random()}`); } },
  });
  try {
    await rejectionOf(guard.verify(bearerRequest(await issuer.sign())));
    const points = pointsOf(await capture.metrics(), M.authenticate);
    t.deepEqual(points.map((point) => point.attributes['error.type']), ['_OTHER']);
  } finally {
    await capture.shutdown();
    await issuer.close();
  }
});

test('the core never imports @opentelemetry/api: it loads and works where the optional peer is not installed', async (t) => {
  const { readdir, readFile } = await import('node:fs/promises');
  const dist = new URL('../../packages/core/dist/', import.meta.url);
  const files = (await readdir(dist, { recursive: true })).filter((file) => file.endsWith('.js'));
  t.true(files.length > 20);
  for (const file of files) t.notRegex(await readFile(new URL(file, dist), 'utf8'), /(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"]@opentelemetry/, file);
});
