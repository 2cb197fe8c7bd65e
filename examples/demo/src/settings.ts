/**
 * The settings the demo runs the sample APIs with, as the environment variables they read
 * (`readApiConfig` in `@resource-guard-examples/shared`). The demo passes them to the API child
 * processes; the end-to-end test feeds the same variables to `readApiConfig` in-process.
 */
import { CLIENT_CERT_HEADER, CLIENTS, RESOURCE_ENCRYPTION_KEY_FILE, RESOURCES } from '@resource-guard-tools/dev-authorization-server';

/** What the flows need to know about the APIs' configuration (to decide how long to wait). */
export interface DemoSettings {
  /** Seconds of leeway on `exp`: the expired-token flow waits past `exp` + this. */
  readonly clockTolerance: number;
  /** Seconds an `active: true` introspection answer is cached: the revocation flow waits past it. */
  readonly introspectionCacheTtl: number;
  /** Header in which the APIs accept the client certificate (stands in for a TLS-terminating proxy). */
  readonly certHeader: string;
}

/** Low tolerance and a short cache, so that the waiting flows take seconds, not minutes. */
export const DEMO_SETTINGS: DemoSettings = {
  clockTolerance: 1,
  introspectionCacheTtl: 1,
  certHeader: CLIENT_CERT_HEADER,
};

/**
 * Environment for a sample API trusting `issuer`. Every variable the APIs read is set explicitly,
 * so that nothing in the caller's environment (say `INTROSPECTION=off`) changes the demo.
 */
export function apiEnvironment(issuer: string, port: number, settings: DemoSettings = DEMO_SETTINGS): Record<string, string> {
  return {
    ISSUER: issuer,
    AUDIENCE: `${RESOURCES.jwt},${RESOURCES.opaque},${RESOURCES.encrypted},${RESOURCES.split}`,
    ENCRYPTION_KEY: RESOURCE_ENCRYPTION_KEY_FILE,
    INTROSPECTION: 'on',
    INTROSPECTION_CLIENT_ID: CLIENTS.resourceServer.clientId,
    INTROSPECTION_CLIENT_SECRET: CLIENTS.resourceServer.clientSecret,
    INTROSPECTION_CACHE_TTL: String(settings.introspectionCacheTtl),
    CLOCK_TOLERANCE: String(settings.clockTolerance),
    DPOP_NONCE: 'off',
    MTLS_CERT_HEADER: settings.certHeader,
    // Per-process memory unless the demo adds a Redis; the caller's own values never leak in.
    REDIS_URL: '',
    DPOP_BASE_URL: '',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
}
