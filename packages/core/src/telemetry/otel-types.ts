/**
 * The few OpenTelemetry API shapes the guard calls, declared structurally so that the core's
 * types do not depend on `@opentelemetry/api` (an optional peer dependency): the `MeterProvider`
 * and `TracerProvider` of `@opentelemetry/api` 1.x, and the SDK's providers, satisfy them.
 */

/** Attribute values the guard records: strings and numbers from a closed, configured set. */
export type TelemetryAttributes = Record<string, string | number | undefined>;

/** `Counter` of `@opentelemetry/api`. */
export interface TelemetryCounter {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/** `Histogram` of `@opentelemetry/api`. */
export interface TelemetryHistogram {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/** Instrument options of `@opentelemetry/api` (`MetricOptions`), the members the guard sets. */
export interface TelemetryInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** `Meter` of `@opentelemetry/api`. */
export interface TelemetryMeter {
  createCounter(name: string, options?: TelemetryInstrumentOptions): TelemetryCounter;
  createHistogram(name: string, options?: TelemetryInstrumentOptions): TelemetryHistogram;
}

/** `MeterProvider` of `@opentelemetry/api`: where the guard gets its meter (`@resource-guard/core`). */
export interface TelemetryMeterProvider {
  getMeter(name: string, version?: string): TelemetryMeter;
}

/** `Context` of `@opentelemetry/api`. */
export interface TelemetryContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): TelemetryContext;
}

/** `Span` of `@opentelemetry/api`, the members the guard calls. */
export interface TelemetrySpan {
  setAttributes(attributes: TelemetryAttributes): unknown;
  /** `code`: 2 is `SpanStatusCode.ERROR`. */
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** `Tracer` of `@opentelemetry/api`. */
export interface TelemetryTracer {
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }, context?: TelemetryContext): TelemetrySpan;
}

/** `TracerProvider` of `@opentelemetry/api`: where the guard gets its tracer (`@resource-guard/core`). */
export interface TelemetryTracerProvider {
  getTracer(name: string, version?: string): TelemetryTracer;
}

/** `ContextManager` of `@opentelemetry/api` (the SDK registers one based on `AsyncLocalStorage`). */
export interface TelemetryContextManager {
  active(): TelemetryContext;
  with<R>(context: TelemetryContext, fn: () => R): R;
}
