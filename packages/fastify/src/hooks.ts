/**
 * The hooks: `protect()` and the route requirements, each a Fastify hook in callback style
 * (`request.auth` is declared in index.ts).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Requirement } from '@resource-guard/core';
import { rejectRequest } from './rejection.js';
import {
  GUARD_KEY, NodeRequestView, authorizeRequirement, resolveProtectArguments, createRequirementMiddlewares,
  type AuthenticateResult, type Guard, type ProtectOptions,
  type ProtectSettings, type RequirementMiddlewares,
} from '@resource-guard/core/adapter';

/** A Fastify hook that works as `onRequest` and as `preHandler` (callback style). */
export type GuardHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

type GuardedRequest = FastifyRequest & { [GUARD_KEY]?: Guard };

/**
 * The framework-neutral view of a Fastify request: `protocol` and `host` as Fastify determined
 * them (honouring `trustProxy`), the path from the request target as received (`request.url`),
 * never from `Host`; the core validates both.
 */
class FastifyGuardRequest extends NodeRequestView {
  readonly #request: FastifyRequest;

  constructor(request: FastifyRequest) {
    super(request.raw, request.body, request.url);
    this.#request = request;
  }

  protected get protocol(): string {
    return this.#request.protocol;
  }

  protected get host(): string | undefined {
    return this.#request.host || undefined;
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
      result = guard.authenticateNow(new FastifyGuardRequest(request), authenticateOptions);
      if (!(result instanceof Promise)) accept(request, reply, guard, result);
    } catch (error) {
      rejectRequest(request, reply, done, error);
      return;
    }
    // Most requests settle at once (loaded keys, a cache hit): the next hook runs in the same tick.
    if (result instanceof Promise) {
      void settleInto(guard, result, request, reply, done);
      return;
    }
    // Outside the try: Fastify handles what later hooks throw.
    done();
  };
}

// Module-level, so that even a request that waits makes no closure.
async function settleInto(
  guard: Guard, pending: Promise<AuthenticateResult>, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction,
): Promise<void> {
  try {
    accept(request, reply, guard, await pending);
  } catch (error) {
    rejectRequest(request, reply, done, error);
    return;
  }
  // Outside the try: Fastify handles what later hooks throw.
  done();
}

function requirementHook(requirement: Requirement): GuardHook {
  return function requirementHook(request, reply, done): void {
    try {
      authorizeRequirement(request.auth ?? undefined, (request as GuardedRequest)[GUARD_KEY], requirement);
    } catch (error) {
      rejectRequest(request, reply, done, error);
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
