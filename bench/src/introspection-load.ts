/**
 * The introspection load scenario: a fresh resource-guard Express server, `tokens` distinct active
 * opaque tokens it has never seen sent round-robin over `connections` connections, `requests` in
 * total. With caching and single flight, the fake authorization server must see exactly one
 * introspection call per token, however many requests raced for it. The server's code is warmed up
 * first with other tokens (a cold process stalls its first connections for a second or more on a
 * busy machine), so the counted tokens still meet a cold cache but not a cold JIT.
 */
import { AUDIENCE, CLIENT_ID, INTROSPECTION_CLIENT, SUBJECT, type AppConfig } from './config.js';
import { startServer } from './children.js';
import { opaqueToken, type AuthServer } from './fixtures.js';
import { runLoad } from './load.js';

export interface IntrospectionLoadResult {
  connections: number;
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
  settings: { connections: number; tokens: number; requests: number },
): Promise<IntrospectionLoadResult> {
  const config: AppConfig = {
    framework: 'express', kind: 'resource-guard-opaque', issuer: server.issuer, jwksUri: server.jwksUri, audience: AUDIENCE, alg: 'ES256',
    introspection: { endpoint: server.introspectionEndpoint, ...INTROSPECTION_CLIENT },
  };
  const handle = await startServer(config);
  if (handle.status === 'skipped') return { ...settings, ok: false, skipped: handle.reason };
  try {
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
    await runLoad({ url: handle.url, connections: settings.connections, duration: 2, timeout: 60, next: rotate(activate('warm', 10)) });
    const headers = activate('load', settings.tokens);
    const tokens = headers.map((header) => header.authorization.slice('Bearer '.length));
    const result = await runLoad({
      url: handle.url,
      connections: settings.connections,
      amount: settings.requests,
      timeout: 60,
      next: rotate(headers),
    });
    const calls = tokens.map((token) => server.introspectionCalls.get(token) ?? 0);
    const introspectionCalls = calls.reduce((sum, count) => sum + count, 0);
    const duplicated = calls.filter((count) => count > 1).length;
    return {
      ...settings,
      completed: result.total,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      rps: result.rps,
      introspectionCalls,
      duplicated,
      ok: introspectionCalls === settings.tokens && duplicated === 0 && result.non2xx === 0 && result.total >= settings.requests,
    };
  } finally {
    await handle.stop();
  }
}
