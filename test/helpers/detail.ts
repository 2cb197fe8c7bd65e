/** Assertions on a rejection's `detail` (test/errors/detail-binding.test.ts and its node-only twin). */
import type { ExecutionContext } from 'ava';
import type { GuardError } from '@resource-guard/core';

/** Asserts code and detail, and that the detail carries none of `secrets` and stays out of the challenge. */
export function expectDetail(t: ExecutionContext, error: GuardError, code: string, detail: RegExp, secrets: string[]): void {
  t.is(error.code as string, code);
  t.regex(error.detail ?? '', detail);
  for (const secret of secrets) t.false(error.detail!.includes(secret), 'no token, proof or thumbprint in the detail');
  t.false(JSON.stringify(error.headers).includes(error.detail!), 'not in the challenge');
}
