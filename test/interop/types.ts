/**
 * The interop suite's shapes: a real authorization server (or our dev AS) as a subject that
 * starts, hands out the cases it supports, and stops; and the rows written to
 * `test-output/interop/<part>.json` for scripts/interop/run.mjs to render.
 */
import type { GuardOptions } from '@resource-guard/core';
import type * as oauth from 'oauth4webapi';

/** One flow: a real token from the server, the guard options a user would write, the expected answer. */
export interface InteropCase {
  /** Short flow name, e.g. `opaque · introspection (Basic)`. */
  flow: string;
  /** `200`, or the error code the guard must answer with. */
  expected: string;
  guard: GuardOptions;
  /** The access token as sent; a function is called per adapter (a fresh token each time). */
  token: string | (() => Promise<string>);
  /** Sent as `Authorization: DPoP` with a fresh proof from this oauth4webapi handle. */
  dpop?: oauth.DPoPHandle;
  /**
   * With `expected: '200'`: a look at the `auth` the route handler received (`{ auth }` of the test
   * API); returns what is wrong with it, or `undefined`. The row fails with that text as its code.
   */
  checkAuth?: (auth: Record<string, unknown>) => string | undefined;
  /** What the row shows besides the verdict (a known gap, what the server sends). */
  note?: string;
}

/** A running server with its cases. */
export interface StartedSubject {
  cases: InteropCase[];
  close(): Promise<void>;
}

/** A server of the matrix. */
export interface InteropSubject {
  /** Row label, e.g. `django-oauth-toolkit`. */
  name: string;
  /** Installed version(s) for the page, or `undefined` when it is not installed. */
  versions(): Record<string, string> | undefined;
  /** The one command that installs it (Debian). */
  install: string;
  start(): Promise<StartedSubject>;
}

/** One line of the matrix (the shape scripts/interop/matrix.mjs reads). */
export type { InteropRow } from '../../scripts/interop/matrix.mjs';
