import type { AuthContext } from '../pipeline/context.js';
import { findIssuingGuard } from './auth-context-access.js';
import { isGuard } from '../guard-brand.js';
import { MisconfigurationError } from '../errors/errors.js';
import type { Guard } from '../guard-types.js';
import { createGuard } from '../guard.js';
import { GUARD_OPTION_KEYS, type GuardOptions } from '../options/guard-options.js';
import { assertKnownKeys, assertObject, readBoolean } from '../options/validate.js';
import type { GuardRequest } from '../http/request.js';
import { buildRequestUrl } from '../http/request-url.js';
import {
  requireAnyScope, requireAuthentication, requireClaims, requireScopes,
  type ClaimCondition, type RequireAuthenticationOptions, type Requirement,
} from '../requirements/requirements.js';
import { requireAuthorizationDetails, type RequireAuthorizationDetailsOptions } from '../requirements/authorization-details.js';

/**
 * Shared by the framework adapters, so that they only translate requests and responses.
 * Nothing here imports a framework.
 */

/** Options of an adapter's `protect()`: the guard options plus the adapter's own. */
export interface ProtectOptions extends GuardOptions {
  /** Let requests without credentials through (no `auth` set); bad credentials still fail. Default false. */
  optional?: boolean;
}

/** Settings of `protect(guard, settings)` (or `protect(options, settings)`). */
export interface ProtectSettings {
  /** As {@link ProtectOptions.optional}; in the options or here, the same either way. */
  optional?: boolean;
}

/**
 * `protect(options)` creates a guard, `protect(guard, settings)` shares one. `optional` is a
 * setting of the mount, not of the guard: it is read from the options when they create the guard,
 * and from `settings` with either form (the same value twice is fine, two different ones a
 * `TypeError`). Validates once, at start-up; a wrong argument throws a `TypeError` that says what
 * was expected, an unknown option name suggests the closest known one.
 */
export function resolveProtectArguments(input: ProtectOptions | Guard, settings?: ProtectSettings): { guard: Guard; optional: boolean } {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError('resource-guard: protect() needs guard options ({ issuer, audience, ... }) or a guard from createGuard()');
  }
  const rawSettings: unknown = settings;
  assertObject(rawSettings, 'protect() settings');
  if (rawSettings !== undefined) assertKnownKeys(rawSettings, ['optional'], '');
  const fromSettings = readBoolean(settings?.optional, 'optional', false);
  if (isGuard(input)) return { guard: input, optional: fromSettings };
  assertKnownKeys(input, [...GUARD_OPTION_KEYS, 'optional'], '');
  const { optional, ...options } = input as ProtectOptions;
  const fromOptions = readBoolean(optional, 'optional', false);
  if (optional !== undefined && settings?.optional !== undefined && optional !== settings.optional) {
    throw new TypeError('resource-guard: "optional" is given twice, with different values (in the options and in the settings)');
  }
  return { guard: createGuard(options), optional: fromOptions || fromSettings };
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

/**
 * Key under which adapters leave the guard on an `optional` request that carried no credentials,
 * so that a route requirement can still answer with that guard's 401 challenge. Requests with a
 * context need no such property: the context knows its guard.
 */
export const GUARD_KEY: unique symbol = Symbol.for('resource-guard.guard');

/**
 * Checks a route requirement for an adapter: judged by the guard that verified `auth` or, when
 * `auth` is absent, by the guard `protect()` left under {@link GUARD_KEY} (`stashed`). Neither —
 * no `protect()` before the requirement, or `auth` replaced by something else — is a 500 naming
 * the misuse, never a pass.
 */
export function authorizeRequirement(auth: unknown, stashed: Guard | undefined, requirement: Requirement): void {
  const guard = auth === undefined ? stashed : findIssuingGuard(auth);
  if (guard === undefined) {
    throw new MisconfigurationError(
      'Route requirement used without protect() before it (or the auth context was replaced)',
      'ERR_MISCONFIGURED_MIDDLEWARE_ORDER',
    );
  }
  guard.authorize(auth as AuthContext | undefined, requirement);
}

/** The route-requirement middleware factories every adapter exports, for its middleware type `M`. */
export interface RequirementMiddlewares<M> {
  /** Route middleware: the token must carry **all** these scopes (403 `insufficient_scope`, RFC 6750 §3.1). */
  requireScopes(...scopes: Array<string | readonly string[]>): M;
  /** Route middleware: the token must carry **at least one** of these scopes. */
  requireAnyScope(...scopes: Array<string | readonly string[]>): M;
  /** Route middleware: claim values or predicates (403 `insufficient_scope`, code `ERR_CLAIMS_INSUFFICIENT`). */
  requireClaims(conditions: Readonly<Record<string, ClaimCondition>>): M;
  /** Route middleware: RFC 9470 step-up (`acr`, `auth_time`); 401 `insufficient_user_authentication`. */
  requireAuthentication(options: RequireAuthenticationOptions): M;
  /**
   * Route middleware: an RFC 9396 `authorization_details` entry of a type (and fields, `match`);
   * 403 `insufficient_scope`, code `ERR_AUTHORIZATION_DETAILS_INSUFFICIENT`.
   */
  requireAuthorizationDetails(options: RequireAuthorizationDetailsOptions): M;
  /** Route middleware for any {@link Requirement}, e.g. a custom one. */
  requireThat(requirement: Requirement): M;
}

/**
 * Builds an adapter's requirement factories from one function that turns a core
 * {@link Requirement} into the framework's middleware. Arguments are validated when the
 * factory is called (at start-up), not per request.
 */
export function createRequirementMiddlewares<M>(toMiddleware: (requirement: Requirement) => M): RequirementMiddlewares<M> {
  return {
    requireScopes: (...scopes) => toMiddleware(requireScopes(...scopes)),
    requireAnyScope: (...scopes) => toMiddleware(requireAnyScope(...scopes)),
    requireClaims: (conditions) => toMiddleware(requireClaims(conditions)),
    requireAuthentication: (options) => toMiddleware(requireAuthentication(options)),
    requireAuthorizationDetails: (options) => toMiddleware(requireAuthorizationDetails(options)),
    requireThat: (requirement) => toMiddleware(requirement),
  };
}

/** What {@link NodeRequestView} reads from Node's `IncomingMessage`. */
interface NodeIncoming {
  method?: string;
  headers: GuardRequest['headers'];
  rawHeaders: readonly string[];
  socket: unknown;
}

/**
 * Base of the adapters' request views over Node's `IncomingMessage`: `method`, `headers` and
 * `rawHeaders` copied, `target` (the request target as received: the framework's `originalUrl`),
 * the client certificate read from the socket only when asked for. Subclasses supply `protocol`
 * and `host` as getters (the framework's trust-proxy view): most requests never read them (only a
 * DPoP `htu` without `dpop.baseUrl` does), and that logic is not free. `url` is built from them
 * with {@link buildRequestUrl}: the path always comes from the target, and a `Host` that is not a
 * valid `host[:port]` is a 400, never a path of the client's choosing.
 */
export abstract class NodeRequestView implements GuardRequest {
  readonly method: string;
  readonly headers: GuardRequest['headers'];
  readonly rawHeaders: readonly string[];
  readonly body: unknown;
  readonly target: string;
  readonly #incoming: NodeIncoming;

  constructor(incoming: NodeIncoming, body: unknown, target: string) {
    this.#incoming = incoming;
    this.method = incoming.method ?? 'GET';
    this.headers = incoming.headers;
    this.rawHeaders = incoming.rawHeaders;
    this.body = body;
    this.target = target;
  }

  /** `http` or `https`, as the framework determined it (honouring its trust-proxy settings). */
  protected abstract get protocol(): string;

  /** `host[:port]` as the framework determined it (`Host`, or a trusted `X-Forwarded-Host`). */
  protected abstract get host(): string | undefined;

  /** The absolute URL as the client addressed it; throws a 400 `GuardError` for an invalid Host. */
  get url(): string {
    return buildRequestUrl(this.protocol, this.host, this.target);
  }

  get clientCertificate(): Uint8Array | undefined {
    return readPeerCertificate(this.#incoming.socket);
  }
}
