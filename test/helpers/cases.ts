import type { ExecutionContext, TestFn } from 'ava';
import type { GuardOptions } from '@resource-guard/core';
import { FRAMEWORKS, startApp, type Framework, type StartAppOptions, type TestApp } from './apps.js';
import { parseChallenges } from './challenge.js';
import { send, type RawResponse, type SendOptions } from './http.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from './issuer.js';
import { limitCases } from './limit.js';

/** What a case sees: a fresh issuer and the app under test. */
export interface CaseContext {
  issuer: MockIssuer;
  app: TestApp;
  /** Sends to the app; `path` defaults to `/protected`. */
  send(path: string, options?: SendOptions): Promise<RawResponse>;
  /** Scratch space for values a case's `check` looks at. */
  notes: Record<string, unknown>;
  /** Sends `Authorization: Bearer <token>` to `path`. */
  bearer(token: string, path?: string): Promise<RawResponse>;
}

/** The expected answer: status and, for rejections, the parsed challenge. */
export interface Expectation {
  status: number;
  /** `error` in the Bearer challenge; `null` = a challenge with no error; undefined = not checked. */
  error?: string | null;
  /** Expected `scope` param of the challenge. */
  scope?: string;
  /** Stable `code` of the error the framework received. */
  code?: string;
  /** Handler runs expected in all (for cases whose earlier requests succeed). Default 0 on rejection. */
  handlerCalls?: number;
}

/** One row of an HTTP case table, run against every adapter. */
export interface HttpCase {
  title: string;
  /** Guard options on top of `{ issuer, audience }`. */
  options?: (issuer: MockIssuer) => Partial<GuardOptions>;
  /** Key algorithm of the issuer's first key. Default ES256. */
  alg?: string;
  /** How the app is started (metadata route, CORS in front, TLS). */
  app?: StartAppOptions;
  /** Sends the request(s); the last response is checked. Returns the response and the token(s) used. */
  run(context: CaseContext): Promise<{ response: RawResponse; secrets?: string[] }>;
  expect: Expectation;
  /**
   * Where one adapter is expected to answer differently, and why (e.g. `fetch`: `Headers` joins
   * repeated fields, so two `Authorization` fields arrive as one value). The title says so too.
   */
  differences?: Partial<Record<Framework, { expect: Partial<Expectation>; why: string }>>;
  /** Extra assertions after the standard ones. */
  check?(t: ExecutionContext, context: CaseContext, response: RawResponse): unknown;
}

/**
 * Standard assertions of every case: status, a challenge that parses under RFC 9110 with the
 * expected `error`, `Retry-After` on 503, the handler not run on rejection, and no response
 * header or body containing any token the case used.
 */
export async function assertCase(t: ExecutionContext, context: CaseContext, item: HttpCase, response: RawResponse, secrets: string[]): Promise<void> {
  const difference = item.differences?.[context.app.framework];
  const expect: Expectation = difference === undefined ? item.expect : { ...item.expect, ...difference.expect };
  t.is(response.status, expect.status, 'status');
  if (expect.status === 401 || expect.status === 400 || expect.status === 403) {
    const challenges = parseChallenges(response.headers['www-authenticate'] as string | undefined);
    const bearer = challenges.find((challenge) => challenge.scheme === 'Bearer');
    t.truthy(bearer, 'a Bearer challenge');
    t.is(bearer?.params.realm, AUDIENCE, 'realm');
    if (expect.error !== undefined) t.is(bearer?.params.error, expect.error ?? undefined, 'challenge error');
    if (expect.scope !== undefined) t.is(bearer?.params.scope, expect.scope, 'challenge scope');
  }
  if (expect.status === 503) t.regex(String(response.headers['retry-after']), /^\d+$/, 'Retry-After');
  if (GUARD_STATUSES.has(expect.status)) assertErrorBody(t, response);
  if (expect.status >= 400) t.is(context.app.handlerCalls, expect.handlerCalls ?? 0, 'handler must not run on a rejection');
  if (expect.code !== undefined) {
    const last = context.app.errors.at(-1) as { code?: string } | undefined;
    t.is(last?.code, expect.code, 'error code');
  }
  const everything = JSON.stringify(response.headers) + response.body;
  for (const secret of secrets) t.false(everything.includes(secret), 'the response must not contain the token');
  await item.check?.(t, context, response);
}

/** Statuses a guard's rejection answers with: their body is the documented one on every adapter. */
const GUARD_STATUSES = new Set([400, 401, 403, 500, 503]);

/**
 * The one JSON body of a rejection, on every adapter: `{ "error", "error_description" }`, nothing
 * else; `error` is the challenge's error value (RFC 6750 §3.1), absent when no challenge has one.
 */
export function assertErrorBody(t: ExecutionContext, response: RawResponse): void {
  t.regex(String(response.headers['content-type']), /^application\/json/, 'a JSON body');
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    t.fail(`the body is not JSON: ${response.body.slice(0, 80)}`);
  }
  t.deepEqual(Object.keys(body).filter((key) => key !== 'error').sort(), ['error_description'], 'body members');
  t.is(typeof body.error_description, 'string', 'error_description');
  const header = response.headers['www-authenticate'] as string | undefined;
  const challengeError = header === undefined ? undefined : parseChallenges(header).map((challenge) => challenge.params.error).find(Boolean);
  t.is(body.error, challengeError, 'the body\'s error is the challenge\'s, absent when it has none');
}

/** Registers every case of `table` once per adapter. */
export function runCaseTable(test: TestFn, table: readonly HttpCase[]): void {
  for (const framework of FRAMEWORKS) {
    for (const item of table) {
      const difference = item.differences?.[framework];
      const title = difference === undefined ? item.title : `${item.title} (differs here: ${difference.why})`;
      test(`[${framework}] ${title}`, (t) => limitCases(() => runCase(t, framework, item)));
    }
  }
}

async function runCase(t: ExecutionContext, framework: Framework, item: HttpCase): Promise<void> {
  const issuer = await startMockIssuer(item.alg);
  const app = await startApp(framework, {
    issuer: issuer.issuer, audience: AUDIENCE, httpTimeout: 30_000, logger: { warn() {}, error() {} }, ...item.options?.(issuer),
  }, item.app);
  try {
    const context: CaseContext = {
      issuer,
      app,
      notes: {},
      send: (path, options) => send(`${app.url}${path}`, options),
      bearer: (token, path = '/protected') => send(`${app.url}${path}`, { headers: [['authorization', `Bearer ${token}`]] }),
    };
    const { response, secrets = [] } = await item.run(context);
    await assertCase(t, context, item, response, secrets);
  } finally {
    await app.close();
    await issuer.close();
  }
}
