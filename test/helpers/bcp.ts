/** Fixtures of the JWT BCP suites (test/jwt/bcp.test.ts, and test/jwt/bcp.node.test.ts for JWE). */
import type { Guard, GuardRequest } from '@resource-guard/core';
import { rejectionOf, type MockIssuer } from './issuer.js';

/** The rejection of `request`, and how many JWKS requests `issuer` received meanwhile. */
export async function refusalOf(issuer: MockIssuer, guard: Guard, request: GuardRequest) {
  const before = issuer.hits.jwks;
  const error = await rejectionOf(guard.verify(request));
  return { status: error.status, code: error.code as string, jwksFetches: issuer.hits.jwks - before };
}

/** `token` with the character at `index` of segment `segment` replaced by `char`. */
export function withCharacter(token: string, segment: number, char: string, index = 2): string {
  const parts = token.split('.');
  const part = parts[segment]!;
  parts[segment] = part.slice(0, index) + char + part.slice(index + 1);
  return parts.join('.');
}
