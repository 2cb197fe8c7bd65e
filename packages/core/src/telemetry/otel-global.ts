import type { TelemetryContextManager, TelemetryMeterProvider, TelemetryTracerProvider } from './otel-types.js';

/**
 * The registry `@opentelemetry/api` 1.x keeps on `globalThis` under
 * `Symbol.for('opentelemetry.js.api.1')`
 * (https://github.com/open-telemetry/opentelemetry-js/blob/main/api/src/internal/global-utils.ts),
 * where `metrics.setGlobalMeterProvider()`, `trace.setGlobalTracerProvider()` and
 * `context.setGlobalContextManager()` (the SDK's `start()` and `register()`) put the providers. Every copy of the API 1.x reads this one object, which is
 * how the guard sees the providers the application registered without importing the API: the core
 * loads, and costs one property read per request, when `@opentelemetry/api` is not installed.
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/**
 * The key under which `@opentelemetry/api` 1.x keeps the active span in a `Context`
 * (https://github.com/open-telemetry/opentelemetry-js/blob/main/api/src/trace/context-utils.ts).
 */
export const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/** What the registry holds, when an SDK registered it. */
export interface OtelGlobal {
  metrics?: TelemetryMeterProvider;
  trace?: TelemetryTracerProvider;
  context?: TelemetryContextManager;
}

/** The global OpenTelemetry registry, `undefined` while nothing registered a provider. */
export function readOtelGlobal(): OtelGlobal | undefined {
  return (globalThis as { [GLOBAL_KEY]?: OtelGlobal })[GLOBAL_KEY];
}
