import type { EventChannel } from './event-channel.js';

const SILENT: EventChannel = Object.freeze({ hasSubscribers: false, publish: () => undefined });

/**
 * Runtimes without `node:diagnostics_channel` (Workers, browsers): a channel nobody can subscribe
 * to, so the guard never builds an event for it. OpenTelemetry metrics and spans still work.
 */
export const createEventChannel = (name: string): EventChannel => {
  void name;
  return SILENT;
};
