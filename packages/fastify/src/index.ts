/**
 * @resource-guard/fastify — Fastify 5 plugin. Translates the request into a `GuardRequest`, sets
 * `request.auth`, and hands rejections to Fastify's error handling: the default error handler
 * replies with their `status` and `headers` (`WWW-Authenticate`, ...) as they are, and an app's
 * own `setErrorHandler` sees them first.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import {
  GUARD_KEY, NodeRequestView, authorizeRequirement, resolveProtectArguments, createRequirementMiddlewares,
  type AuthContext, type AuthenticateResult, type Guard, type ProtectOptions,
  type ProtectSettings, type Requirement, type RequirementMiddlewares,
} from '@resource-guard/core';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the plugin or `protect()`: who called, with what token. `null` when no credentials were verified. */
    auth: AuthContext | null;
  }
}

/** A Fastify hook that works as `onRequest` and as `preHandler` (callback style: no promise on the fast path). */
export type GuardHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

type GuardedRequest = FastifyRequest & { [GUARD_KEY]?: Guard };

/**
 * The request target as sent, reduced to path and query: an absolute-form target
 * (`GET http://other.example/x`) must not choose the origin a DPoP proof's `htu` is compared with.
 */
function pathOf(target: string): string {
  if (target.charCodeAt(0) === 47) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}

/** The framework-neutral view of a Fastify request; `protocol` and `host` honour Fastify's `trustProxy`. */
class FastifyGuardRequest extends NodeRequestView {
  readonly #request: FastifyRequest;

  constructor(request: FastifyRequest) {
    super(request.raw, request.body);
    this.#request = request;
  }

  get url(): string {
    return `${this.#request.protocol}://${this.#request.host || 'localhost'}${pathOf(this.#request.url)}`;
  }
}

function accept(request: FastifyRequest, reply: FastifyReply, guard: Guard, result: AuthenticateResult): void {
  if (result.auth !== undefined) request.auth = result.auth;
  else (request as GuardedRequest)[GUARD_KEY] = guard;
  for (const name of Object.keys(result.headers)) reply.header(name, result.headers[name]!);
}

/**
 * Hook factory: verifies the access token and sets `request.auth`. Use it as a route's `onRequest`
 * hook, or as its `preHandler` when the guard accepts form-body tokens (the body is parsed between
 * the two). `protect(options)` creates a guard (options validated now); `protect(guard, { optional })`
 * shares one. With `optional: true`, requests without credentials pass with `request.auth` null;
 * bad credentials are still rejected.
 */
export function protect(options: ProtectOptions | Guard, settings?: ProtectSettings): GuardHook {
  const { guard, optional } = resolveProtectArguments(options, settings);
  const authenticateOptions = { optional };
  return function protectHook(request, reply, done): void {
    let result: AuthenticateResult | Promise<AuthenticateResult>;
    try {
      result = guard.authenticateFast(new FastifyGuardRequest(request), authenticateOptions);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (!(result instanceof Promise)) {
      accept(request, reply, guard, result);
      done();
      return;
    }
    result.then((settled) => {
      accept(request, reply, guard, settled);
      done();
    }, done);
  };
}

function requirementHook(requirement: Requirement): GuardHook {
  return function requirementHook(request, _reply, done): void {
    try {
      authorizeRequirement(request.auth ?? undefined, (request as GuardedRequest)[GUARD_KEY], requirement);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
}

/**
 * Route requirement factories, each a `preHandler` hook: `requireScopes` (all of),
 * `requireAnyScope`, `requireClaims`, `requireAuthentication` (RFC 9470 step-up) and `requireThat`
 * (any core requirement). Each must run after the plugin's hook or `protect()`; used without
 * either, the request fails with a 500 naming the misuse.
 */
export const {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireThat,
}: RequirementMiddlewares<GuardHook> = createRequirementMiddlewares(requirementHook);

/**
 * Options of the plugin: guard options (a guard is created at registration), or `guard` to share
 * one; `optional` as for `protect()`. `global: false` only declares `request.auth`, for apps that
 * put `protect()` on their routes themselves. `hook` chooses where the guard runs; the default is
 * `onRequest`, or `preHandler` when `tokenLocations` includes `'body'`.
 */
export interface ResourceGuardPluginOptions extends Partial<ProtectOptions> {
  guard?: Guard;
  global?: boolean;
  hook?: 'onRequest' | 'preHandler';
}

function register(fastify: FastifyInstance, pluginOptions: ResourceGuardPluginOptions): void {
  // `prefix` and the log settings are Fastify's own register options, not the guard's.
  const {
    guard, global, hook, optional, prefix: _prefix, logLevel: _logLevel, logSerializers: _logSerializers, ...guardOptions
  } = pluginOptions as ResourceGuardPluginOptions & Record<string, unknown>;
  if (global !== undefined && typeof global !== 'boolean') throw new TypeError('resource-guard: "global" must be a boolean');
  if (hook !== undefined && hook !== 'onRequest' && hook !== 'preHandler') {
    throw new TypeError('resource-guard: "hook" must be "onRequest" or "preHandler"');
  }
  if (global === false) {
    if (guard !== undefined || Object.keys(guardOptions).length > 0 || optional !== undefined) {
      throw new TypeError('resource-guard: with "global: false" the plugin takes no guard or guard options');
    }
  } else {
    const handler = guard === undefined
      ? protect({ ...guardOptions, optional } as ProtectOptions)
      : protect(guard, { optional });
    const body = (guardOptions as Partial<ProtectOptions>).tokenLocations?.includes('body') === true;
    fastify.addHook(hook ?? (body ? 'preHandler' : 'onRequest'), handler);
  }
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
}

// A callback plugin reports a bad option through `done`: thrown, it would escape Fastify's boot.
const plugin: FastifyPluginCallback<ResourceGuardPluginOptions> = (fastify, pluginOptions, done) => {
  try {
    register(fastify, pluginOptions);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

/**
 * The Fastify plugin (`fastify-plugin`, so it applies to the scope it is registered in, not only
 * to a child context): declares `request.auth` and, unless `global: false`, protects every route
 * of that scope. Registered twice in one scope, the second guard also runs.
 */
export const resourceGuard = fastifyPlugin(plugin, { fastify: '5.x', name: '@resource-guard/fastify' });
export default resourceGuard;

export { createGuard } from '@resource-guard/core';
export type { AuthContext, Guard, GuardOptions, ProtectOptions, ProtectSettings, Requirement } from '@resource-guard/core';
