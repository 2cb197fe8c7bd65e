/**
 * @resource-guard/fetch — Web-standard adapter: verifies a fetch `Request` and answers rejections
 * with a `Response`, for Hono, Next.js route handlers, Bun, Deno and Node's global `Request`.
 * Imports no `node:` module; on runtimes without them the core verifies with WebCrypto (see the README).
 */
import type { AuthContext, Requirement } from '@resource-guard/core';
import {
  authorizeRequirement, createRequirementMiddlewares, resolveProtectArguments,
  type AuthenticateResult, type Guard, type ProtectOptions, type RequirementMiddlewares,
} from '@resource-guard/core/adapter';
import { FetchRequestView, readFormBody, type FetchRequestOptions } from './request-view.js';
import { rejectionResponse } from './response.js';
import { withHeaders } from './with-headers.js';

/** Options of {@link authenticate}: what `Request` cannot carry, and the `optional` mode. */
export interface AuthenticateRequestOptions extends FetchRequestOptions {
  /** Let requests without credentials through with `auth: undefined`; bad ones still fail. Default false. */
  optional?: boolean;
}

/**
 * Verifies the request's access token; resolves to the context and the headers the successful
 * response should carry (`DPoP-Nonce`, `Cache-Control` for query tokens). Rejects with the
 * guard's `GuardError` (`status`, `code`, rendered `headers`); {@link rejectionResponse} turns it
 * into a `Response`. A form-body token (`tokenLocations: ['body']`) is read from a clone of the
 * body, at most 100 KiB (413 past that), unless `options.body` already holds the parsed form.
 */
export async function authenticate(guard: Guard, request: Request, options?: AuthenticateRequestOptions): Promise<AuthenticateResult> {
  const settings = { optional: options?.optional === true };
  try {
    return await guard.authenticate(new FetchRequestView(request, options), settings);
  } catch (error) {
    // The guard asks for the body only when it accepts body tokens and this request has a form body.
    if ((error as { code?: unknown }).code !== 'ERR_MISCONFIGURED_BODY_PARSER' || options?.body !== undefined) throw error;
    const body = await readFormBody(request);
    return guard.authenticate(new FetchRequestView(request, { ...options, body }), settings);
  }
}

/** `guard.verify()` for a fetch `Request`: the verified context, or a rejected `GuardError`. */
export async function verify(guard: Guard, request: Request, options?: FetchRequestOptions): Promise<AuthContext> {
  return (await authenticate(guard, request, options)).auth!;
}

/**
 * Checks a route requirement against a context from {@link authenticate}; throws the rendered
 * rejection (403 `insufficient_scope`, 401 step-up, ...). `auth` undefined (an optional request
 * without credentials) is judged by `guard`, a 401; a context no guard created is a 500.
 */
export function authorize(auth: AuthContext | undefined, requirement: Requirement, guard?: Guard): void {
  authorizeRequirement(auth, guard, requirement);
}

/**
 * Requirement factories with the adapters' names, for {@link authorize} and `withAuth`'s
 * `require`: `requireScopes` (all of), `requireAnyScope`, `requireClaims`, `requireAuthentication`
 * (RFC 9470 step-up), `requireAuthorizationDetails` (RFC 9396), `requireThat` (any core requirement).
 */
export const {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireAuthorizationDetails, requireThat,
}: RequirementMiddlewares<Requirement> = createRequirementMiddlewares((requirement) => requirement);

/** A handler `withAuth` wraps: the request, the verified context, then whatever else the runtime passes. */
export type AuthenticatedHandler<A extends unknown[], T> = (request: Request, auth: T, ...rest: A) => Response | Promise<Response>;
/** What `withAuth` returns: a plain fetch handler. */
export type FetchHandler<A extends unknown[]> = (request: Request, ...rest: A) => Promise<Response>;

/** Settings of {@link withAuth}. */
export interface WithAuthSettings<A extends unknown[]> {
  /** As {@link AuthenticateRequestOptions.optional}: here, or in the options when `withAuth` creates the guard. */
  optional?: boolean;
  /** Requirements checked, in order, before the handler runs. */
  require?: Requirement | readonly Requirement[];
  /** The DER bytes of this request's TLS client certificate, from whatever the runtime passes along. */
  clientCertificate?: (request: Request, ...rest: A) => Uint8Array | undefined;
  /** Told of every rejection before it is answered (e.g. to log its `code`); what it throws is ignored. */
  onRejection?: (error: unknown, request: Request) => void;
}

/**
 * Wraps a fetch handler: verifies the token (and the `require`d requirements) before calling
 * `handler(request, auth, ...rest)`, and answers a rejection itself with {@link rejectionResponse}.
 * `withAuth(options, ...)` creates a guard (options validated now), `withAuth(guard, ...)` shares
 * one. Errors the handler throws are not caught: they belong to the runtime's error handling.
 */
export function withAuth<A extends unknown[]>(
  options: ProtectOptions & { optional: true }, handler: AuthenticatedHandler<A, AuthContext | undefined>, settings?: WithAuthSettings<A>,
): FetchHandler<A>;
export function withAuth<A extends unknown[]>(
  options: ProtectOptions | Guard, handler: AuthenticatedHandler<A, AuthContext | undefined>, settings: WithAuthSettings<A> & { optional: true },
): FetchHandler<A>;
export function withAuth<A extends unknown[]>(
  options: ProtectOptions | Guard, handler: AuthenticatedHandler<A, AuthContext>, settings?: WithAuthSettings<A>,
): FetchHandler<A>;
export function withAuth<A extends unknown[]>(
  options: ProtectOptions | Guard, handler: AuthenticatedHandler<A, AuthContext> | AuthenticatedHandler<A, AuthContext | undefined>,
  settings: WithAuthSettings<A> = {},
): FetchHandler<A> {
  const { guard, optional } = resolveProtectArguments(options, settings.optional === undefined ? undefined : { optional: settings.optional });
  if (typeof handler !== 'function') throw new TypeError('resource-guard: withAuth() needs a handler function');
  const requirements = settings.require === undefined ? [] : ([] as Requirement[]).concat(settings.require);
  for (const requirement of requirements) {
    if (typeof requirement?.check !== 'function') throw new TypeError('resource-guard: "require" takes requirements such as requireScopes(...)');
  }
  const { clientCertificate, onRejection } = settings;
  return async function authenticatedHandler(request, ...rest) {
    let result: AuthenticateResult;
    try {
      result = await authenticate(guard, request, { optional, clientCertificate: clientCertificate?.(request, ...rest) });
      for (const requirement of requirements) authorizeRequirement(result.auth, guard, requirement);
    } catch (error) {
      try {
        onRejection?.(error, request);
      } catch {
        // A failing log hook must not turn a rejection into an exception of the handler.
      }
      return rejectionResponse(error);
    }
    // `auth` is undefined only in optional mode, where the overloads type the handler to accept it.
    const response = await (handler as AuthenticatedHandler<A, AuthContext | undefined>)(request, result.auth, ...rest);
    return withHeaders(response, result.headers);
  };
}

export { rejectionResponse } from './response.js';
export { protectedResourceMetadata } from './metadata.js';
export type { MetadataHandler } from './metadata.js';
export type { RejectionBody } from './response.js';
export { MAX_FORM_BYTES } from './request-view.js';
export type { FetchRequestOptions } from './request-view.js';
export { createGuard, exposedAuthHeaders, AUTH_RESPONSE_HEADERS, CRYPTO_BACKEND } from '@resource-guard/core';
export { readPeerCertificate } from '@resource-guard/core/adapter';
export type { AuthContext, AuthenticateResult, Guard, GuardOptions, Requirement } from '@resource-guard/core';
export type { ProtectOptions, ProtectSettings } from '@resource-guard/core/adapter';
// Re-exported so applications import only their adapter (strict layouts such as pnpm's do not
// let them import @resource-guard/core, which they never installed).
export {
  GuardError, MissingCredentialsError, InvalidRequestError, InvalidTokenError, InsufficientScopeError,
  InvalidDpopProofError, UseDpopNonceError, InsufficientUserAuthenticationError, UpstreamUnavailableError,
  MisconfigurationError, isGuardError, createMemoryStore,
} from '@resource-guard/core';
export type { ChallengeError, Claims, MemoryStoreOptions, Store } from '@resource-guard/core';
