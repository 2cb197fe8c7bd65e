import { runInNewContext } from 'node:vm';

/**
 * `Error` of a private realm whose `stackTraceLimit` is 0 (selected by the `node` condition of
 * `#stackless-error`): errors made with it are native errors of the caller's classes with no
 * stack captured; the application's own `Error.stackTraceLimit` is never touched.
 */
export const StacklessError = runInNewContext('Error.stackTraceLimit = 0; Error') as ErrorConstructor;
