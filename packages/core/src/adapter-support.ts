import type { Guard } from './guard.js';
import { createGuard } from './guard.js';
import type { GuardOptions } from './options.js';

/**
 * Shared by the framework adapters, so that they only translate requests and responses.
 * Nothing here imports a framework.
 */

/** Options of an adapter's `protect()`: the guard options plus the adapter's own. */
export interface ProtectOptions extends GuardOptions {
  /** Let requests without credentials through (no `auth` set); bad credentials still fail. Default false. */
  optional?: boolean;
}

/** Settings of `protect(guard, settings)` when sharing one guard. */
export interface ProtectSettings {
  /** As {@link ProtectOptions.optional}. */
  optional?: boolean;
}

/**
 * `protect(options)` creates a guard, `protect(guard, settings)` shares one. Validates once, at
 * start-up; a wrong argument throws a `TypeError` that says what was expected.
 */
export function resolveProtectArguments(input: ProtectOptions | Guard, settings?: ProtectSettings): { guard: Guard; optional: boolean } {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError('resource-guard: protect() needs guard options ({ issuer, audience, ... }) or a guard from createGuard()');
  }
  if (typeof (input as Guard).authenticate === 'function') {
    return { guard: input as Guard, optional: settings?.optional === true };
  }
  if (settings !== undefined) throw new TypeError('resource-guard: protect(options) takes one argument; put "optional" in the options');
  const { optional, ...options } = input as ProtectOptions;
  if (optional !== undefined && typeof optional !== 'boolean') throw new TypeError('resource-guard: "optional" must be a boolean');
  return { guard: createGuard(options), optional: optional === true };
}

/** A socket that may be a TLS socket (Node's `TLSSocket#getPeerCertificate`). */
interface MaybeTlsSocket {
  getPeerCertificate?: (detailed?: boolean) => { raw?: Uint8Array } | null;
}

/** The DER bytes of the TLS client certificate on `socket`, if any (RFC 8705). */
export function readPeerCertificate(socket: unknown): Uint8Array | undefined {
  const tls = socket as MaybeTlsSocket | undefined;
  if (typeof tls?.getPeerCertificate !== 'function') return undefined;
  const raw = tls.getPeerCertificate(false)?.raw;
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
}

/** Key under which adapters keep the guard that authenticated a request, for route requirements. */
export const GUARD_KEY: unique symbol = Symbol.for('resource-guard.guard');

/** The message for a requirement middleware that runs without `protect()` before it. */
export const MISSING_PROTECT_MESSAGE = 'Route requirement used without protect() before it';
