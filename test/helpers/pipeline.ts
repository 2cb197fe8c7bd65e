/** The guard's pipeline as `runGuard()` (test/adapter/run-guard.test.ts) receives it. */
import type { Guard, GuardRequest } from '@resource-guard/core';
import { guardInternals } from '../../packages/core/dist/guard-brand.js';

/**
 * One request through the pipeline: the result itself when nothing waits, a promise when
 * something does (a key set, a store, a signature off the event loop); a rejection is thrown.
 */
export const authenticateNow = (guard: Guard, request: GuardRequest, optional = false) => guardInternals(guard).authenticate(request, optional);
