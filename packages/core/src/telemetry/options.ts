import { assertKnownKeys, assertObject, knownKeys } from '../options/validate.js';
import type { TelemetryMeterProvider, TelemetryTracerProvider } from './otel-types.js';
import { Telemetry } from './telemetry.js';

/**
 * The `telemetry` option: where the guard's OpenTelemetry metrics and spans go
 * (docs/observability.md). Nothing is installed or registered by the library: by default it uses
 * the providers the application registered globally (the SDK's `start()` / `register()`); with none
 * registered each request pays a property read.
 */
export interface TelemetryOptions {
  /** A `MeterProvider` of `@opentelemetry/api` 1.x. Default: the global one, looked up per request. */
  meterProvider?: TelemetryMeterProvider;
  /** A `TracerProvider` of `@opentelemetry/api` 1.x. Default: the global one, looked up per request. */
  tracerProvider?: TelemetryTracerProvider;
}

const KNOWN_TELEMETRY_OPTIONS = knownKeys<TelemetryOptions>()(['meterProvider', 'tracerProvider']);

/**
 * Parses `telemetry`: `undefined` or `true` → the global providers; `false` → no OpenTelemetry
 * metrics or spans (diagnostics-channel subscribers still get their events); an object → its
 * providers, the global ones for any not given. A provider without `getMeter` / `getTracer` is a
 * `TypeError` naming it.
 */
export function resolveTelemetryOptions(value: boolean | TelemetryOptions | undefined): Telemetry {
  if (value === undefined || typeof value === 'boolean') return new Telemetry({ enabled: value !== false });
  assertObject(value, 'telemetry');
  assertKnownKeys(value, KNOWN_TELEMETRY_OPTIONS, 'telemetry');
  const { meterProvider, tracerProvider } = value;
  if (meterProvider !== undefined && typeof (meterProvider as Partial<TelemetryMeterProvider> | null)?.getMeter !== 'function') {
    throw new TypeError('resource-guard: "telemetry.meterProvider" must be an OpenTelemetry MeterProvider (with getMeter())');
  }
  if (tracerProvider !== undefined && typeof (tracerProvider as Partial<TelemetryTracerProvider> | null)?.getTracer !== 'function') {
    throw new TypeError('resource-guard: "telemetry.tracerProvider" must be an OpenTelemetry TracerProvider (with getTracer())');
  }
  return new Telemetry({ enabled: true, meterProvider, tracerProvider });
}
