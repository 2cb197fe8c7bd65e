import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createResourceMetadataEndpoint, resolveProtectArguments, type Guard, type ProtectOptions } from '@resource-guard/core/adapter';
import type { ErrorHandlerOptions } from './error-handler.js';
import { RENDERER, createErrorResponder } from './rejection.js';
import { protect, type GuardHook } from './hooks.js';
import { registerMetadataRoutes } from './metadata.js';

/**
 * Options of the plugin: guard options (a guard is created at registration), or `guard` to share
 * one; `optional` as for `protect()`. `global: false` only declares `request.auth`, for apps that
 * put `protect()` on their routes themselves. `hook` chooses where the guard runs; the default is
 * `onRequest`, or `preHandler` when `tokenLocations` includes `'body'`.
 */
export interface ResourceGuardPluginOptions extends Partial<ProtectOptions> {
  /** A guard from `createGuard()` to share, instead of guard options. */
  guard?: Guard;
  /** Default true: protect every route of the scope. `false`: only declare `request.auth`. */
  global?: boolean;
  /**
   * Where the guard runs. Default `'onRequest'`, or `'preHandler'` when these options'
   * `tokenLocations` include `'body'`; with a shared `guard` that accepts body tokens, set it.
   */
  hook?: 'onRequest' | 'preHandler';
  /**
   * Also serve the guard's RFC 9728 metadata (`protectedResourceMetadata`), exempt from the
   * guard; needs the `resourceMetadata` guard option. Default false.
   */
  metadata?: boolean;
  /**
   * How the guard's hooks in this scope answer a rejection: with the body every adapter sends,
   * rendered with these options of `errorHandler()` (`format`, `logger`), at once, without
   * going through Fastify's error handling. `false`: hand rejections to Fastify's error handling
   * instead (your `setErrorHandler`, which can use `errorHandler()`). Default `{}`.
   */
  errors?: ErrorHandlerOptions | false;
}

function register(fastify: FastifyInstance, pluginOptions: ResourceGuardPluginOptions): void {
  // `prefix` and the log settings are Fastify's own register options, not the guard's.
  const {
    guard, global, hook, optional, metadata, errors, prefix: _prefix, logLevel: _logLevel, logSerializers: _logSerializers, ...guardOptions
  } = pluginOptions as ResourceGuardPluginOptions & Record<string, unknown>;
  if (global !== undefined && typeof global !== 'boolean') throw new TypeError('resource-guard: "global" must be a boolean');
  if (hook !== undefined && hook !== 'onRequest' && hook !== 'preHandler') {
    throw new TypeError('resource-guard: "hook" must be "onRequest" or "preHandler"');
  }
  if (metadata !== undefined && typeof metadata !== 'boolean') throw new TypeError('resource-guard: "metadata" must be a boolean');
  if (global === false) {
    if (guard !== undefined || Object.keys(guardOptions).length > 0 || optional !== undefined || metadata !== undefined) {
      throw new TypeError('resource-guard: with "global: false" the plugin takes no guard, guard options or "metadata"');
    }
  } else {
    const resolved = guard === undefined
      ? resolveProtectArguments({ ...guardOptions, optional } as ProtectOptions)
      : resolveProtectArguments(guard, { optional });
    let handler: GuardHook = protect(resolved.guard, { optional: resolved.optional });
    if (metadata === true) {
      const endpoint = createResourceMetadataEndpoint(resolved.guard);
      registerMetadataRoutes(fastify, endpoint);
      const guarded = handler;
      handler = function protectHook(request, reply, done) {
        if (endpoint.matches(request.routeOptions.url ?? '')) done();
        else guarded(request, reply, done);
      };
    }
    const body = (guardOptions as Partial<ProtectOptions>).tokenLocations?.includes('body') === true;
    fastify.addHook(hook ?? (body ? 'preHandler' : 'onRequest'), handler);
  }
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  if (errors !== false && !fastify.hasDecorator(RENDERER)) fastify.decorate(RENDERER, createErrorResponder(errors ?? {}));
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
