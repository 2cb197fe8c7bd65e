/**
 * The introspection load scenario: a fresh resource-guard Express server, `tokens` distinct active
 * opaque tokens it has never seen sent round-robin over `connections` connections, `requests` in
 * total. With caching and single flight, the fake authorization server must see exactly one
 * introspection call per token, however many requests raced for it. The server's code is warmed up
 * first with other tokens (a cold process stalls its first connections for a second or more on a
 * busy machine), so the counted tokens still meet a cold cache but not a cold JIT.
 *
 * With `processes` > 1 (and a `redisUrl`), that many servers share the Redis store and the load is
 * split over them, every process sending the same tokens in the same order (the most contention):
 * still exactly one call per token in total.
 */
import { AUDIENCE, CLIENT_ID, INTROSPECTION_CLIENT, SUBJECT, type AppConfig } from './config.js';
import { startServer } from './children.js';
import { opaqueToken, type AuthServer } from './fixtures.js';
import { runLoad } from './load.js';

export interface IntrospectionLoadResult {
  connections: number;
  /** API processes (sharing Redis when more than one). */
  processes: number;
  tokens: number;
  requests: number;
  completed?: number;
  non2xx?: number;
  errors?: number;
  rps?: number;
  introspectionCalls?: number;
  /** Tokens introspected more than once. */
  duplicated?: number;
  ok: boolean;
  skipped?: string;
}

export async function runIntrospectionLoad(
  server: AuthServer,
  settings: { connections: number; tokens: number; requests: number; processes?: number; redisUrl?: string },
): Promise<IntrospectionLoadResult> {
  const { redisUrl, ...reported } = settings;
  const processes = settings.processes ?? 1;
  const base = { ...reported, processes };
  if (processes > 1 && redisUrl === undefined) return { ...base, ok: false, skipped: 'redis-server is not installed (apt-get install redis-server)' };
  const config: AppConfig = {
    framework: 'express', kind: processes > 1 ? 'resource-guard-opaque-redis' : 'resource-guard-opaque', issuer: server.issuer, jwksUri: server.jwksUri,
    audience: AUDIENCE, alg: 'ES256',
    // Longer than any run, however slow the machine: "one call per token" is per cache TTL.
    introspection: { endpoint: server.introspectionEndpoint, ...INTROSPECTION_CLIENT, cacheTtl: 3600 },
    ...(redisUrl === undefined ? {} : { redisUrl }),
  };
  const handles = await Promise.all(Array.from({ length: processes }, () => startServer(config)));
  const ready = handles.flatMap((handle) => (handle.status === 'ready' ? [handle] : []));
  const skipped = handles.find((handle) => handle.status === 'skipped');
  try {
    if (skipped?.status === 'skipped') return { ...base, ok: false, skipped: skipped.reason };
    const now = Math.floor(Date.now() / 1000);
    const activate = (prefix: string, count: number) => Array.from({ length: count }, () => {
      const token = opaqueToken(prefix);
      server.activeTokens.set(token, { sub: SUBJECT, aud: AUDIENCE, iss: server.issuer, client_id: CLIENT_ID, exp: now + 3600, iat: now, scope: 'orders:read' });
      return { authorization: `Bearer ${token}` };
    });
    const rotate = (headers: Array<Record<string, string>>) => {
      let next = 0;
      return () => headers[next++ % headers.length]!;
    };
    const connections = Math.max(1, Math.floor(settings.connections / processes));
    await Promise.all(ready.map((handle) => runLoad({ url: handle.url, connections, duration: 2, timeout: 60, next: rotate(activate('warm', 10)) })));
    const headers = activate('load', settings.tokens);
    const tokens = headers.map((header) => header.authorization.slice('Bearer '.length));
    const results = await Promise.all(ready.map((handle) => runLoad({
      url: handle.url, connections, amount: Math.ceil(settings.requests / processes), timeout: 60, next: rotate(headers),
    })));
    const sum = (pick: (result: (typeof results)[number]) => number) => results.reduce((total, result) => total + pick(result), 0);
    const result = { total: sum((r) => r.total), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), rps: sum((r) => r.rps) };
    const calls = tokens.map((token) => server.introspectionCalls.get(token) ?? 0);
    const introspectionCalls = calls.reduce((sum, count) => sum + count, 0);
    const duplicated = calls.filter((count) => count > 1).length;
    return {
      ...base,
      completed: result.total,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      rps: result.rps,
      introspectionCalls,
      duplicated,
      ok: introspectionCalls === settings.tokens && duplicated === 0 && result.non2xx === 0 && result.total >= settings.requests,
    };
  } finally {
    await Promise.all(ready.map((handle) => handle.stop()));
  }
}
