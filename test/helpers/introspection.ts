/**
 * Fixtures of the introspection suites (issue 3): a scripted RFC 7662 endpoint on a real loopback
 * server (so tests see the bytes on the wire), guard options, requests and error capture.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ExecutionContext, TestFn } from 'ava';
import { CompactSign } from 'jose';
import type { GuardError, GuardOptions, GuardRequest, Logger } from '@resource-guard/core';
import { findChallenge } from './challenge.js';
import { AUDIENCE, type IssuerKey, type MockIssuer } from './issuer.js';

export { AUDIENCE };

/** A request as the introspection endpoint received it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body bytes as text. */
  body: string;
  form: URLSearchParams;
}

/** How the endpoint answers one request. */
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON (content type `application/json` unless given); a Buffer as its bytes. */
  body?: string | object | Buffer;
  /** Milliseconds before answering. */
  delay?: number;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
  /** Destroy the socket instead of answering (connection reset). */
  reset?: boolean;
}

/** A scripted introspection endpoint. */
export interface Endpoint {
  url: string;
  /** Every request received, in order. */
  calls: ReceivedRequest[];
  /** Decides each answer; replace freely. Default: `{ active: true }` with a few members. */
  respond: (request: ReceivedRequest) => Answer | Promise<Answer>;
  close(): Promise<void>;
}

/** An active answer with typical RFC 7662 members and `overrides` (`undefined` deletes). */
export function activeBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const body: Record<string, unknown> = {
    active: true, scope: 'orders:read profile', client_id: 'client-abc', sub: 'user-123', username: 'alice',
    token_type: 'Bearer', aud: AUDIENCE, iat: now, exp: now + 300, ...overrides,
  };
  for (const [name, value] of Object.entries(body)) if (value === undefined) delete body[name];
  return body;
}

/** Starts a scripted endpoint at `http://127.0.0.1:<port>/introspect`. */
export async function startEndpoint(respond?: Endpoint['respond']): Promise<Endpoint> {
  const sockets = new Set<Socket>();
  const server = http.createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: Endpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    calls: [],
    respond: respond ?? (() => ({ body: activeBody() })),
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received: ReceivedRequest = {
        method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, form: new URLSearchParams(body),
      };
      endpoint.calls.push(received);
      void Promise.resolve(endpoint.respond(received)).then(async (answer) => {
        if (answer.delay !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delay));
        if (answer.hang === true) return;
        if (answer.reset === true) return req.socket.destroy();
        const raw = Buffer.isBuffer(answer.body);
        const json = typeof answer.body === 'object' && !raw;
        const text = raw ? answer.body as Buffer : json ? JSON.stringify(answer.body) : (answer.body as string | undefined ?? '');
        res.writeHead(answer.status ?? 200, { ...(json ? { 'content-type': 'application/json' } : {}), ...answer.headers });
        res.end(text);
      });
    });
  });
  return endpoint;
}

/** A scripted endpoint shared by a test file, answering each token as registered (500 for any other). */
export interface ScriptedEndpoint {
  /** Token → its answer: each case registers the answer for a token of its own. */
  readonly script: Map<string, Answer>;
  /** The endpoint's URL, once `test.before` ran. */
  readonly url: string;
}

/** Starts a {@link ScriptedEndpoint} in `test.before` and closes it in `test.after.always`. */
export function useScriptedEndpoint(suite: { before: TestFn['before']; after: TestFn['after'] }): ScriptedEndpoint {
  const script = new Map<string, Answer>();
  let endpoint: Endpoint | undefined;
  suite.before(async () => {
    endpoint = await startEndpoint((request) => script.get(request.form.get('token') ?? '') ?? { status: 500, body: '' });
  });
  suite.after.always(async () => {
    await endpoint?.close();
  });
  return {
    script,
    get url() {
      if (endpoint === undefined) throw new Error('the endpoint is used before test.before ran');
      return endpoint.url;
    },
  };
}

/** A loopback URL on which nothing listens (connection refused). */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/introspect`;
}

/** The issuer used when no mock issuer is needed (never contacted: the endpoint is configured). */
export const ISSUER = 'https://as.example.test';
export const CLIENT_ID = 'api-client';
export const CLIENT_SECRET = 'api-secret';

/**
 * A logger that records what it is given. With `debug`, it has `debug()` too, so that the guard's
 * rejection lines (`logRejections`, on by default outside production) are recorded as well.
 */
export function recordingLogger(options: { debug?: boolean } = {}): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger: Logger & { lines: string[] } = { lines, warn: (line) => lines.push(`warn: ${line}`), error: (line) => lines.push(`error: ${line}`) };
  if (options.debug === true) logger.debug = (line) => lines.push(`debug: ${line}`);
  return logger;
}

/** Guard options with introspection at `endpoint`; `introspection` overrides are merged. */
export function optionsFor(
  endpoint: string | undefined,
  introspection: Partial<NonNullable<GuardOptions['introspection']>> = {},
  overrides: Partial<GuardOptions> = {},
): GuardOptions {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    logger: { warn() {}, error() {} },
    ...overrides,
    introspection: {
      ...(endpoint === undefined ? {} : { endpoint }), clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...introspection,
    },
  };
}

/** Guard options with introspection at `endpoint`, uncached, with no client credentials but those in `introspection`. */
export const clientAuthOptions = (endpoint: string, introspection: Record<string, unknown>, overrides: Partial<GuardOptions> = {}): GuardOptions => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  logger: { warn() {}, error() {} },
  ...overrides,
  introspection: { endpoint, cacheTtl: 0, ...introspection } as GuardOptions['introspection'],
});

/** A request carrying `token` in the Authorization header. */
export function requestWith(token: string, scheme = 'Bearer', headers: Record<string, string> = {}): GuardRequest {
  return { method: 'GET', url: 'https://api.example.test/orders', headers: { authorization: `${scheme} ${token}`, ...headers } };
}

/** The GuardError a promise rejects with (fails the test when it resolves or throws something else). */
export async function rejection(t: ExecutionContext, promise: Promise<unknown>): Promise<GuardError> {
  const error = await t.throwsAsync(promise);
  t.truthy((error as Partial<GuardError> | undefined)?.code, 'a GuardError with a code');
  return error as unknown as GuardError;
}

/** Asserts a rejection's status, code and (for 401) the `error` of the scheme's challenge. */
export async function assertRejected(
  t: ExecutionContext,
  promise: Promise<unknown>,
  expected: { status: number; code: string },
  token?: string,
): Promise<GuardError> {
  const error = await rejection(t, promise);
  t.is(error.code as string, expected.code, 'code');
  t.is(error.status, expected.status, 'status');
  if (expected.status === 401) t.is(findChallenge(error.headers['WWW-Authenticate'], 'Bearer')?.params.error, 'invalid_token');
  if (expected.status === 503) t.regex(error.headers['Retry-After'] ?? '', /^\d+$/);
  if (expected.status === 500) t.is(error.headers['WWW-Authenticate'], undefined);
  if (token !== undefined) {
    const visible = `${error.message} ${JSON.stringify(error.headers)} ${String((error as { cause?: unknown }).cause)}`;
    t.false(visible.includes(token), 'the error must not carry the token');
  }
  return error;
}

/** `introspection:` + base64url SHA-256 of `token`: the key the guard must use in a store the application supplies. */
export function storeKey(token: string): string {
  return `introspection:${createHash('sha256').update(token).digest('base64url')}`;
}

/** `introspection:` + `token`: the key in the built-in memory store, which never leaves the process. */
export function memoryStoreKey(token: string): string {
  return `introspection:${token}`;
}

/** Signs an RFC 9701 response: `payload` members over defaults (`undefined` deletes). */
export async function signIntrospectionJwt(
  issuer: MockIssuer,
  payload: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key: IssuerKey = issuer.published[0]!,
): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: issuer.issuer, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), token_introspection: activeBody({ iss: issuer.issuer }),
    ...payload,
  };
  const protectedHeader: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'token-introspection+jwt', ...header };
  for (const record of [claims, protectedHeader]) {
    for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(key.privateKey);
}

/** The answer carrying an RFC 9701 JWT. */
export function jwtAnswer(jwt: string, contentType = 'application/token-introspection+jwt; charset=utf-8'): Answer {
  return { headers: { 'content-type': contentType }, body: jwt };
}
