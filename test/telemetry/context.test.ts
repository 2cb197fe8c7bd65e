/**
 * The guard's span is a child of the HTTP server span on every adapter (as with the HTTP
 * auto-instrumentation, which runs the request listener inside the server span's context), and
 * the authorization-server calls are children of the guard's span. With the providers registered
 * globally (no `telemetry` option), as `NodeSDK.start()` does.
 */
import test from 'ava';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TELEMETRY_METRICS as M } from '@resource-guard/core';
import { FRAMEWORKS, startApp } from '../helpers/apps.js';
import { send } from '../helpers/http.js';
import { AUDIENCE, startMockIssuer } from '../helpers/issuer.js';
import { captureTelemetry, countOf } from '../helpers/telemetry.js';

const capture = captureTelemetry();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(capture.tracerProvider);
metrics.setGlobalMeterProvider(capture.meterProvider);
const server = trace.getTracer('test-http-server');

for (const framework of FRAMEWORKS) {
  test.serial(`[${framework}] guard span under the server span, upstream spans under the guard span`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await startApp(framework, { issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} } }, {
      wrapListener: (listener) => (req, res) => {
        server.startActiveSpan(`${req.method} server`, { attributes: { framework } }, (span) => {
          res.on('finish', () => span.end());
          listener(req, res);
        });
      },
    });
    try {
      const token = await issuer.sign();
      const response = await send(`${app.url}/protected`, { headers: [['authorization', `Bearer ${token}`]] });
      t.is(response.status, 200);
      const spans = capture.spans();
      const serverSpan = spans.find((span) => span.name === 'GET server' && span.attributes.framework === framework);
      const guardSpan = spans.find((span) => span.name === 'resource-guard authenticate' && span.parentSpanContext?.spanId === serverSpan?.spanContext().spanId);
      t.truthy(guardSpan, 'the guard span is a child of the server span');
      t.is(guardSpan?.spanContext().traceId, serverSpan?.spanContext().traceId);
      const children = spans.filter((span) => span.parentSpanContext?.spanId === guardSpan?.spanContext().spanId).map((span) => span.name).sort();
      t.deepEqual(children, ['resource-guard discovery', 'resource-guard jwks']);
    } finally {
      await app.close();
      await issuer.close();
    }
  });
}

test.serial('the global meter provider receives the metrics of a guard created without the option', async (t) => {
  const points = await capture.metrics();
  t.is(countOf(points, M.authenticate, { 'resource_guard.authentication.result': 'success' }), FRAMEWORKS.length);
});
