import { channel } from 'node:diagnostics_channel';
import type { EventChannel } from './event-channel.js';

/**
 * A `node:diagnostics_channel` channel (selected by the `node` condition of
 * `#diagnostics-channel`): APM agents and other tooling subscribe to it by name.
 */
export const createEventChannel = (name: string): EventChannel => channel(name);
