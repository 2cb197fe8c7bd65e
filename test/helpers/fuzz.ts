import type { Parameters } from 'fast-check';
import type { GuardError } from '@resource-guard/core';
import { parseChallenges } from './challenge.js';

/**
 * fast-check settings of the fuzz suites. `npm test` runs a fixed seed and a few thousand cases
 * in all; `npm run fuzz` sets `FUZZ_SEED` (printed) and `FUZZ_SCALE` (runs × scale) for long runs.
 * A failure prints its seed and path: rerun with `FUZZ_SEED=<seed> FUZZ_PATH=<path>` to replay it.
 */
export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  const seed = Number(process.env.FUZZ_SEED ?? 20_261_201);
  const scale = Number(process.env.FUZZ_SCALE ?? 1);
  const path = process.env.FUZZ_PATH;
  return { seed, numRuns: Math.max(1, Math.round(numRuns * scale)), ...(path === undefined ? {} : { path }) };
}

/** RFC 6750 §3: auth-param values are quoted-strings of %x20-21 / %x23-5B / %x5D-7E (plus escapes). */
const RFC6750_VALUE = /^[\x20-\x7e]*$/;

/**
 * The invariants every rejection must hold, whatever the input: a `GuardError` (nothing else
 * escapes), a 4xx or a 503 (never another 5xx unless `allow500`), a `WWW-Authenticate` that parses
 * strictly (RFC 9110 §11) with RFC 6750 characters only on 400/401/403, and no secret in the
 * message, headers, JSON form or stack. Returns the error.
 */
export function assertRejection(error: unknown, secrets: readonly string[], allow500 = false): GuardError {
  const guardError = error as GuardError;
  if (!(error instanceof Error) || typeof guardError.code !== 'string' || !guardError.code.startsWith('ERR_')) {
    throw new Error(`a non-GuardError escaped: ${String(error)}`);
  }
  const { status } = guardError;
  if (!([400, 401, 403, 503].includes(status) || (allow500 && status === 500))) throw new Error(`unexpected status ${status} (${guardError.code})`);
  if ([400, 401, 403].includes(status)) {
    const challenges = parseChallenges(guardError.headers['WWW-Authenticate']);
    for (const challenge of challenges) {
      for (const value of Object.values(challenge.params)) {
        if (!RFC6750_VALUE.test(value)) throw new Error(`challenge value outside RFC 6750's characters: ${JSON.stringify(value)}`);
      }
    }
  }
  if (status === 503 && !/^\d+$/.test(guardError.headers['Retry-After'] ?? '')) throw new Error('503 without Retry-After');
  const everything = `${guardError.message} ${JSON.stringify(guardError.headers)} ${JSON.stringify(guardError)} ${guardError.stack ?? ''}`;
  for (const secret of secrets) {
    if (secret.length >= 12 && everything.includes(secret)) throw new Error(`a secret leaked into the error (${guardError.code})`);
  }
  return guardError;
}
