/**
 * Runtimes without `node:vm` have no private realm to borrow a stackless `Error` from: client
 * errors there are plain `Error`s, with the stack their engine captures.
 */
export const StacklessError: ErrorConstructor = Error;
