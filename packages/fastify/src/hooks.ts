/**
 * The hooks: `protect()` and the route requirements, each a Fastify hook in callback style
 * (`request.auth` is declared in index.ts).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Requirement } from '@resource-guard/core';
import { rejectRequest } from './rejection.js';
import {
  GUARD_KEY, NodeRequestView, authorizeRequirement, resolveProtectArguments, createRequirementMiddlewares, runGuard,
  type Guard, type GuardHandover, type ProtectOptions,
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

// `done()` runs outside any try: Fastify handles what later hooks throw.
const handover: GuardHandover<FastifyRequest, FastifyReply, HookHandlerDoneFunction, void> = {
  keep(auth, guard, request) {
    if (auth !== undefined) request.auth = auth;
    else (request as GuardedRequest)[GUARD_KEY] = guard;
  },
  setHeader: (name, value, _request, reply) => void reply.header(name, value),
  sent: (_request, reply) => reply.sent,
  next: (_request, _reply, done) => done(),
  fail: (error, request, reply, done) => rejectRequest(request, reply, done, error),
};

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
    // Most requests settle at once (loaded keys, a cache hit): the next hook runs in the same tick.
    void runGuard(guard, new FastifyGuardRequest(request), authenticateOptions, handover, request, reply, done);
  };
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
 * `requireAnyScope`, `requireClaims`, `requireAuthentication` (RFC 9470 step-up),
 * `requireAuthorizationDetails` (RFC 9396) and `requireThat`
 * (any core requirement). Each must run after the plugin's hook or `protect()`; used without
 * either, the request fails with a 500 naming the misuse.
 */
export const {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireAuthorizationDetails, requireThat,
}: RequirementMiddlewares<GuardHook> = createRequirementMiddlewares(requirementHook);
