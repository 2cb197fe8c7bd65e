/**
 * What a flow saw, what it expected, and the verdict: shared by the demo's table and the
 * end-to-end test, so both judge the same expectations.
 */
import { challengeOf, parseChallenges } from './challenge.js';
import type { ApiResponse } from './client.js';

/** The parts of the API's `AuthContext` the demo shows (from `GET /me`). */
export interface AuthSummary {
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
  readonly scopes: readonly string[];
  readonly format: string | undefined;
  readonly scheme: string | undefined;
  /** Sender constraint from `confirmation` (`cnf`): DPoP key (`jkt`), certificate (`x5t#S256`) or none. */
  readonly binding: 'dpop' | 'mtls' | 'none';
}

/** What a flow expects from the API. */
export interface Expected {
  readonly status: number;
  /** Scheme of the challenge that carries {@link error} (rejections only). */
  readonly scheme?: 'Bearer' | 'DPoP';
  /** The challenge's `error` parameter; `null`: the challenge must carry none. */
  readonly error?: string | null;
  /** The challenge's `scope` parameter (for `insufficient_scope`). */
  readonly scope?: string;
  /** For successes: what `GET /me` must show. */
  readonly auth?: Partial<AuthSummary>;
}

/** What a flow saw: the deciding response, the user context (successes), and what it did. */
export interface Observation {
  readonly status: number;
  readonly wwwAuthenticate: string | undefined;
  readonly auth?: AuthSummary;
  /** One line on what happened, e.g. how long it waited. */
  readonly note?: string;
  /** Set when an earlier step went wrong (e.g. a proof's first use was refused): the flow fails. */
  readonly failedStep?: string;
}

/** The verdict on one observation. */
export interface Verdict {
  readonly pass: boolean;
  /** Short rendering of the observation: status and challenge `error`, e.g. `401 invalid_token`. */
  readonly got: string;
  /** Why it failed (empty when it passed). */
  readonly problems: readonly string[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Reads the `{ auth }` body of the sample APIs' `GET /me`; `undefined` if it is not that shape. */
export function readAuth(body: string): AuthSummary | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const auth = isObject(parsed) ? parsed['auth'] : undefined;
  if (!isObject(auth)) return undefined;
  const cnf = isObject(auth['confirmation']) ? auth['confirmation'] : {};
  return {
    subject: text(auth['subject']),
    clientId: text(auth['clientId']),
    scopes: Array.isArray(auth['scopes']) ? auth['scopes'].filter((s): s is string => typeof s === 'string') : [],
    format: text(auth['format']),
    scheme: text(auth['scheme']),
    binding: 'jkt' in cnf ? 'dpop' : 'x5t#S256' in cnf ? 'mtls' : 'none',
  };
}

/** An observation from one API response (plus the user context when it is a `GET /me` success). */
export function observe(response: ApiResponse, note?: string): Observation {
  const auth = response.status === 200 ? readAuth(response.body) : undefined;
  return { status: response.status, wwwAuthenticate: response.wwwAuthenticate, ...(auth && { auth }), ...(note !== undefined && { note }) };
}

/** An observation of a step that had to succeed first and did not: the flow fails, whatever the status. */
export function stepFailed(step: string, response: ApiResponse): Observation {
  const error = parseChallenges(response.wwwAuthenticate).find((c) => c.params['error'] !== undefined)?.params;
  const why = error === undefined ? '' : ` ${error['error']}${error['error_description'] === undefined ? '' : ` (${error['error_description']})`}`;
  return { ...observe(response), failedStep: `${step}: got ${response.status}${why}` };
}

/** `401 invalid_token`, `403 insufficient_scope`, `401 (no error)`, `200`. */
export function describeExpected(expected: Expected): string {
  if (expected.error === undefined) return String(expected.status);
  if (expected.error === null) return `${expected.status} (no error)`;
  return `${expected.status} ${expected.error}`;
}

/** The user context in one line: `sub demo-client · client demo-client · scopes orders:read · jwt · Bearer`. */
export function describeAuth(auth: AuthSummary): string {
  const parts = [
    `sub ${auth.subject ?? '-'}`,
    `client ${auth.clientId ?? '-'}`,
    `scopes ${auth.scopes.join(' ') || '-'}`,
    `${auth.format ?? '?'}/${auth.scheme ?? '?'}`,
  ];
  if (auth.binding !== 'none') parts.push(auth.binding === 'dpop' ? 'cnf.jkt' : 'cnf.x5t#S256');
  return parts.join(' · ');
}

/** Judges an observation against the expectation: status, challenge error/scope, user context. */
export function judge(expected: Expected, observation: Observation): Verdict {
  const problems: string[] = [];
  const challenges = parseChallenges(observation.wwwAuthenticate);
  const scheme = expected.scheme ?? 'Bearer';
  const challenge = challengeOf(observation.wwwAuthenticate, scheme);
  const error = challenge?.params['error'] ?? challenges.find((c) => c.params['error'] !== undefined)?.params['error'];
  const scope = challenge?.params['scope'];

  if (observation.failedStep !== undefined) problems.push(observation.failedStep);
  if (observation.status !== expected.status) {
    const description = challenges.find((c) => c.params['error_description'] !== undefined)?.params['error_description'];
    problems.push(`status ${observation.status}, expected ${expected.status}${description === undefined ? '' : ` (${description})`}`);
  }
  if (expected.error !== undefined) {
    if (challenge === undefined) problems.push(`no ${scheme} challenge`);
    else if ((challenge.params['error'] ?? null) !== expected.error) problems.push(`${scheme} error ${challenge.params['error'] ?? 'none'}`);
  }
  if (expected.scope !== undefined && scope !== expected.scope) problems.push(`scope ${scope ?? 'none'}`);
  if (expected.auth !== undefined) {
    if (observation.auth === undefined) problems.push('no user context in the answer');
    else {
      for (const [key, want] of Object.entries(expected.auth)) {
        const have: unknown = observation.auth[key as keyof AuthSummary];
        const same = Array.isArray(want) ? JSON.stringify(have) === JSON.stringify(want) : have === want;
        if (!same) problems.push(`${key} ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
      }
    }
  }
  let got = String(observation.status);
  if (error !== undefined) got = `${observation.status} ${error}`;
  else if (observation.status >= 400 && challenges.length > 0) got = `${observation.status} (no error)`;
  return { pass: problems.length === 0, got, problems };
}
