import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';

/** One data point of one metric: a counter's sum, or a histogram's count. */
export interface MetricPoint {
  name: string;
  unit: string;
  attributes: Attributes;
  /** Counter: the sum; histogram: the number of recordings. */
  value: number;
}

/**
 * A meter provider with the SDK's in-memory metric exporter and a tracer provider with its
 * in-memory span exporter, both private to one guard (so that concurrent tests do not mix).
 */
export interface TelemetryCapture {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  /** Every metric point recorded so far (cumulative). */
  metrics(): Promise<MetricPoint[]>;
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

/** Starts a {@link TelemetryCapture}. */
export function captureTelemetry(): TelemetryCapture {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported on demand (forceFlush) only: the interval is longer than any test.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  return {
    meterProvider,
    tracerProvider,
    async metrics() {
      await reader.forceFlush();
      const latest = exporter.getMetrics().at(-1);
      exporter.reset();
      const points: MetricPoint[] = [];
      for (const scope of latest?.scopeMetrics ?? []) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints as Array<DataPoint<number | Histogram>>) {
            const value = typeof point.value === 'number' ? point.value : point.value.count;
            points.push({ name: metric.descriptor.name, unit: metric.descriptor.unit, attributes: point.attributes, value });
          }
        }
      }
      return points;
    },
    spans: () => spanExporter.getFinishedSpans(),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** The points of metric `name` whose attributes include `attributes` (exactly those values). */
export function pointsOf(points: readonly MetricPoint[], name: string, attributes: Attributes = {}): MetricPoint[] {
  return points.filter((point) => point.name === name
    && Object.entries(attributes).every(([key, value]) => (value === undefined ? !(key in point.attributes) : point.attributes[key] === value)));
}

/** Sum of the values of {@link pointsOf}. */
export function countOf(points: readonly MetricPoint[], name: string, attributes: Attributes = {}): number {
  return pointsOf(points, name, attributes).reduce((sum, point) => sum + point.value, 0);
}
