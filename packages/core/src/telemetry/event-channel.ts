/** The part of a `node:diagnostics_channel` `Channel` the guard uses (see `#diagnostics-channel`). */
export interface EventChannel {
  /** False until someone subscribes: the guard then builds no event at all. */
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}
