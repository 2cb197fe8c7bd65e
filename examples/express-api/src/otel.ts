/**
 * The sample API with OpenTelemetry metrics served for Prometheus:
 * `npm run start:otel -w examples/express-api`, then `curl http://127.0.0.1:9464/metrics`.
 *
 * The OpenTelemetry SDK's meter provider, registered globally before the API starts, with the
 * Prometheus exporter as its reader; the guard finds it with no option (docs/observability.md).
 * `OTEL_PROMETHEUS_PORT` (default 9464) and `OTEL_PROMETHEUS_HOST` (default 127.0.0.1) say where
 * the exporter listens. Add a tracer provider (and the HTTP auto-instrumentation) the same way to
 * get the guard's spans under each request's server span.
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

const port = Number(process.env.OTEL_PROMETHEUS_PORT ?? 9464);
const host = process.env.OTEL_PROMETHEUS_HOST ?? '127.0.0.1';
const exporter = new PrometheusExporter({ port, host }, () => {
  console.log(`Prometheus metrics on http://${host}:${port}/metrics`);
});
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));

await import('./main.js');
