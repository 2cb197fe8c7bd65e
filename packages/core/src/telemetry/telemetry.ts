import { createEventChannel } from '#diagnostics-channel';
import { GUARD_ERROR_CODES } from '../errors/codes.js';
import { isGuardError } from '../errors/errors.js';
import type { EventChannel } from './event-channel.js';
import {
  ATTRIBUTES as A, CHANNEL_NAMES, METRIC_NAMES, SPAN_NAMES,
  type CacheName, type CacheResult, type DpopRejectionReason, type JwksRefetchResult, type StoreOperation, type StorePurpose,
  type UpstreamOperation, type UpstreamOutcome,
} from './names.js';
import { SPAN_KEY, readOtelGlobal } from './otel-global.js';
import type {
  TelemetryAttributes, TelemetryCounter, TelemetryHistogram, TelemetryMeterProvider, TelemetrySpan, TelemetryTracer, TelemetryTracerProvider,
} from './otel-types.js';

/** Instrumentation scope of every meter and tracer. */
const SCOPE = '@resource-guard/core';
const SPAN_KIND_INTERNAL = 0;
const SPAN_KIND_CLIENT = 2;
const SPAN_STATUS_ERROR = 2;
/** Boundaries in seconds: a verification with loaded keys takes tens of microseconds, a call to the AS milliseconds. */
const AUTHENTICATE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** OpenTelemetry's HTTP client duration boundaries, seconds. */
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const KNOWN_CODES: ReadonlySet<string> = new Set(GUARD_ERROR_CODES);
/** `Requirement.kind` values counted as they are; any other is `custom` (a requirement may set anything). */
const REQUIREMENT_KINDS: ReadonlySet<string> = new Set(['scopes', 'any_scope', 'claims', 'step_up', 'authorization_details']);

type Channel = keyof typeof CHANNEL_NAMES;
const channels = Object.fromEntries(
  Object.entries(CHANNEL_NAMES).map(([name, channel]) => [name, createEventChannel(channel)]),
) as Record<Channel, EventChannel>;

/** The instruments of one meter provider, made once per provider. */
export interface Instruments {
  authenticate: TelemetryHistogram;
  authorize: TelemetryCounter;
  upstream: TelemetryHistogram;
  cache: TelemetryCounter;
  jwksRefetch: TelemetryCounter;
  dpopRejection: TelemetryCounter;
  storeError: TelemetryCounter;
}

type Counter = 'authorize' | 'cache' | 'jwksRefetch' | 'dpopRejection' | 'storeError';

function createInstruments(provider: TelemetryMeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE);
  const counter = (name: Counter, unit: string, description: string) => meter.createCounter(METRIC_NAMES[name], { unit, description });
  return {
    authenticate: meter.createHistogram(METRIC_NAMES.authenticate, {
      unit: 's', description: 'Duration of the guard\'s authentication of a request', advice: { explicitBucketBoundaries: AUTHENTICATE_BUCKETS },
    }),
    authorize: counter('authorize', '{attempt}', 'Route requirements judged (scopes, claims, step-up)'),
    upstream: meter.createHistogram(METRIC_NAMES.upstream, {
      unit: 's', description: 'Duration of calls to the authorization server', advice: { explicitBucketBoundaries: UPSTREAM_BUCKETS },
    }),
    cache: counter('cache', '{lookup}', 'Lookups in the verified-token and introspection caches'),
    jwksRefetch: counter('jwksRefetch', '{refetch}', 'Key sets fetched again, joined or refused because a token named an unknown kid'),
    dpopRejection: counter('dpopRejection', '{rejection}', 'DPoP proofs refused as replays or over the quota, and nonce challenges'),
    storeError: counter('storeError', '{error}', 'Store calls that failed'),
  };
}

/** The code of a rejection, only from the registry: an unexpected error or a custom code is `_OTHER` (bounded). */
export function errorTypeOf(error: unknown): string {
  return isGuardError(error) && KNOWN_CODES.has(error.code) ? error.code : '_OTHER';
}

const DPOP_REASONS: Readonly<Record<string, DpopRejectionReason>> = {
  ERR_DPOP_JTI_REPLAYED: 'replay', ERR_DPOP_NONCE_REQUIRED: 'use_nonce', ERR_DPOP_REPLAY_QUOTA_EXCEEDED: 'quota_exceeded',
};

// Fixed attribute sets are built once: counting a cache hit allocates nothing.
const frozenTable = <K extends string, V extends string>(keys: readonly K[], values: readonly V[], build: (key: K, value: V) => TelemetryAttributes) => (
  Object.fromEntries(keys.map((key) => [key, Object.fromEntries(values.map((value) => [value, Object.freeze(build(key, value))]))])) as Record<K, Record<V, TelemetryAttributes>>
);
const CACHE_ATTRIBUTES = frozenTable<CacheName, CacheResult>(['verified_token', 'introspection'], ['hit', 'miss', 'join'], (cache, result) => ({ [A.cache]: cache, [A.cacheResult]: result }));
const REFETCH_ATTRIBUTES = frozenTable<'jwks', JwksRefetchResult>(['jwks'], ['fetched', 'joined', 'cooldown'], (_, result) => ({ [A.refetchResult]: result })).jwks;

/** One authentication being observed; only made while something listens. */
export interface AuthenticationObservation {
  readonly start: number;
  readonly instruments: Instruments | undefined;
  readonly span: TelemetrySpan | undefined;
  /** The scheme and token format, once known (so that a rejection names them). */
  scheme?: 'Bearer' | 'DPoP';
  format?: string;
}

/** How an authentication ended, for {@link Telemetry.endAuthentication}. */
export interface AuthenticationOutcome {
  /** `none`: no credentials (let through by `optional`, or rejected with `ERR_CREDENTIALS_MISSING`). */
  result: 'success' | 'failure' | 'none';
  scheme?: 'Bearer' | 'DPoP' | undefined;
  format?: string | undefined;
  /** A configured issuer only; never the `iss` of a token that failed. */
  issuer?: string | undefined;
  error?: unknown;
}

/** One authorization-server call being observed. */
export interface UpstreamObservation {
  readonly start: number;
  readonly instruments: Instruments | undefined;
  readonly span: TelemetrySpan | undefined;
  readonly attributes: TelemetryAttributes;
}

/** Settings of a {@link Telemetry}: the providers to use, else the globally registered ones. */
export interface TelemetrySettings {
  /** `false`: no OpenTelemetry metrics or spans (diagnostics channels still publish to their subscribers). */
  enabled: boolean;
  meterProvider?: TelemetryMeterProvider | undefined;
  tracerProvider?: TelemetryTracerProvider | undefined;
}

/**
 * The guard's metrics, spans and diagnostics-channel events (docs/observability.md). While no
 * provider is registered and no channel has a subscriber, each method is a few property reads and
 * returns without building anything. Providers are looked up per call (one property read) and
 * their instruments made once per provider, so an SDK registered after the guard was created is
 * used from then on.
 */
export class Telemetry {
  readonly #settings: TelemetrySettings;
  #meterProvider: TelemetryMeterProvider | undefined;
  #instruments: Instruments | undefined;
  #tracerProvider: TelemetryTracerProvider | undefined;
  #tracer: TelemetryTracer | undefined;

  constructor(settings: TelemetrySettings) {
    this.#settings = settings;
  }

  #metrics(): Instruments | undefined {
    if (!this.#settings.enabled) return undefined;
    const provider = this.#settings.meterProvider ?? readOtelGlobal()?.metrics;
    if (provider !== this.#meterProvider) {
      this.#meterProvider = provider;
      this.#instruments = provider === undefined ? undefined : createInstruments(provider);
    }
    return this.#instruments;
  }

  #tracing(): TelemetryTracer | undefined {
    if (!this.#settings.enabled) return undefined;
    const provider = this.#settings.tracerProvider ?? readOtelGlobal()?.trace;
    if (provider !== this.#tracerProvider) {
      this.#tracerProvider = provider;
      this.#tracer = provider?.getTracer(SCOPE);
    }
    return this.#tracer;
  }

  #count(counter: Counter, attributes: TelemetryAttributes): void {
    this.#metrics()?.[counter].add(1, attributes);
    const channel = channels[counter];
    if (channel.hasSubscribers) channel.publish(attributes);
  }

  /** Starts observing an authentication; `undefined` (nothing made) while nothing listens. */
  startAuthentication(): AuthenticationObservation | undefined {
    const instruments = this.#metrics();
    const tracer = this.#tracing();
    if (instruments === undefined && tracer === undefined && !channels.authenticate.hasSubscribers) return undefined;
    return { start: performance.now(), instruments, span: tracer?.startSpan(SPAN_NAMES.authenticate, { kind: SPAN_KIND_INTERNAL }) };
  }

  /**
   * Runs `run` with the authentication's span active (through the registered context manager),
   * so that the calls to the authorization server it makes are traced as its children.
   */
  runInSpan<R>(observation: AuthenticationObservation, run: () => R): R {
    const manager = observation.span === undefined ? undefined : readOtelGlobal()?.context;
    return manager === undefined ? run() : manager.with(manager.active().setValue(SPAN_KEY, observation.span), run);
  }

  /** Records the end of an authentication: the duration histogram, the span, the channel, and DPoP refusals. */
  endAuthentication(observation: AuthenticationObservation, outcome: AuthenticationOutcome): void {
    const errorType = outcome.error === undefined ? undefined : errorTypeOf(outcome.error);
    // Only the members that have a value: an object never given `undefined` (nor `delete`d) stays fast to read.
    const attributes: TelemetryAttributes = { [A.result]: outcome.result };
    const scheme = outcome.scheme ?? observation.scheme;
    const format = outcome.format ?? observation.format;
    if (scheme !== undefined) attributes[A.scheme] = scheme;
    if (format !== undefined) attributes[A.format] = format;
    if (outcome.issuer !== undefined) attributes[A.issuer] = outcome.issuer;
    if (errorType !== undefined) attributes[A.errorType] = errorType;
    Object.freeze(attributes);
    const duration = (performance.now() - observation.start) / 1000;
    observation.instruments?.authenticate.record(duration, attributes);
    finishSpan(observation.span, attributes, outcome.result === 'failure' ? errorType : undefined);
    if (channels.authenticate.hasSubscribers) channels.authenticate.publish(Object.freeze({ ...attributes, duration }));
    const reason = errorType === undefined ? undefined : DPOP_REASONS[errorType];
    if (reason !== undefined) this.#count('dpopRejection', Object.freeze({ [A.dpopReason]: reason }));
  }

  /** Counts a route requirement's verdict (`kind`: which requirement factory made it). */
  recordAuthorization(kind: string, error: unknown): void {
    if (this.#metrics() === undefined && !channels.authorize.hasSubscribers) return;
    const attributes: TelemetryAttributes = {
      [A.authorizationResult]: error === undefined ? 'success' : 'failure', [A.requirement]: REQUIREMENT_KINDS.has(kind) ? kind : 'custom',
    };
    if (error !== undefined) attributes[A.errorType] = errorTypeOf(error);
    this.#count('authorize', Object.freeze(attributes));
  }

  /** Counts a cache lookup. */
  countCacheLookup(cache: CacheName, result: CacheResult): void {
    this.#count('cache', CACHE_ATTRIBUTES[cache][result]);
  }

  /** Counts what a token's unknown `kid` led to. */
  countJwksRefetch(result: JwksRefetchResult): void {
    this.#count('jwksRefetch', REFETCH_ATTRIBUTES[result]);
  }

  /** Counts a failed store call. */
  countStoreError(purpose: StorePurpose, operation: StoreOperation): void {
    this.#count('storeError', Object.freeze({ [A.storePurpose]: purpose, [A.storeOperation]: operation }));
  }

  /** Starts observing a call to the authorization server; `undefined` while nothing listens. */
  startUpstream(operation: UpstreamOperation, url: URL, method: string): UpstreamObservation | undefined {
    const instruments = this.#metrics();
    const tracer = this.#tracing();
    if (instruments === undefined && tracer === undefined && !channels.upstream.hasSubscribers) return undefined;
    const attributes: TelemetryAttributes = {
      [A.operation]: operation,
      [A.method]: method,
      [A.serverAddress]: url.hostname,
      [A.serverPort]: url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port),
    };
    const span = tracer?.startSpan(SPAN_NAMES.upstreamPrefix + operation, { kind: SPAN_KIND_CLIENT, attributes });
    return { start: performance.now(), instruments, span, attributes };
  }

  /** Records the end of an authorization-server call: its duration, outcome and status class. */
  endUpstream(observation: UpstreamObservation, outcome: UpstreamOutcome, status: number | undefined): void {
    const attributes: TelemetryAttributes = { ...observation.attributes, [A.outcome]: outcome };
    if (status !== undefined) attributes[A.statusClass] = `${Math.trunc(status / 100)}xx`;
    Object.freeze(attributes);
    const duration = (performance.now() - observation.start) / 1000;
    observation.instruments?.upstream.record(duration, attributes);
    if (observation.span !== undefined) {
      observation.span.setAttributes(status === undefined ? attributes : { ...attributes, [A.statusCode]: status });
      finishSpan(observation.span, {}, outcome === 'success' ? undefined : outcome);
    }
    if (channels.upstream.hasSubscribers) channels.upstream.publish(Object.freeze({ ...attributes, duration }));
  }
}

// The status carries the code (or outcome), never a message: messages are for logs.
function finishSpan(span: TelemetrySpan | undefined, attributes: TelemetryAttributes, errorType: string | undefined): void {
  if (span === undefined) return;
  span.setAttributes(attributes);
  if (errorType !== undefined) span.setStatus({ code: SPAN_STATUS_ERROR, message: errorType });
  span.end();
}

/** The telemetry of callers without a guard of their own (the gateway): the globally registered providers. */
export const globalTelemetry = new Telemetry({ enabled: true });
