/**
 * The authorization server's side of two gateway patterns, as oidc-provider middleware (run after
 * its own routes, so client authentication and policies are oidc-provider's):
 * - phantom token, Curity's form: `Accept: application/jwt` at the introspection endpoint answers
 *   an active token with the access token itself as a signed JWT (RFC 9068 claims, `typ: at+jwt`),
 *   an inactive one with `204 No Content`. `application/token-introspection+jwt` (RFC 9701) is
 *   oidc-provider's own `jwtIntrospection` feature.
 * - split token: a JWT issued for {@link RESOURCES.split} reaches the client as its signature only;
 *   header and payload go to the split-token store. Revoking the signature deletes the entry.
 * DEVELOPMENT ONLY.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import type { default as Provider } from 'oidc-provider';
import type { Store } from '@resource-guard/core';
import { revokeSplitToken, splitTokenKey, storeSplitToken } from '@resource-guard/gateway';
import { RESOURCES, SIGNING_ALG } from './config.js';
import type { SigningJwk } from './keys.js';

/** oidc-provider's routes the middleware looks at. */
const ROUTES = { token: '/token', introspection: '/token/introspection', revocation: '/token/revocation' } as const;

/** What the middleware reads of Koa's context (oidc-provider's `ctx.oidc` included). */
interface Context {
  method: string;
  path: string;
  status: number;
  body: unknown;
  type: string;
  get(name: string): string;
  remove(name: string): void;
  oidc?: { body?: Record<string, unknown>; client?: { clientId: string } };
}

const decode = (segment: string | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** `Accept` asks for the access token as a JWT (and not for RFC 9701's media type). */
function wantsAccessTokenJwt(accept: string): boolean {
  return accept.split(',').some((range) => range.split(';')[0]!.trim().toLowerCase() === 'application/jwt');
}

/** Installs both patterns on `provider`; `store` keeps the split tokens' headers and payloads. */
export function installGatewayPatterns(provider: Provider, keys: readonly SigningJwk[], store: Store): void {
  const jwk = keys.find((key) => key.alg === SIGNING_ALG)!;
  const signingKey = importJWK(jwk as never, jwk.alg);

  async function answerWithJwt(ctx: Context): Promise<void> {
    const answer = ctx.body as Record<string, unknown> | undefined;
    if (answer?.active !== true) {
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    const { sub, client_id, aud, scope, exp, jti, cnf, iss } = answer;
    // RFC 9068 §2.2: `jti` is required; introspection answers may omit it.
    const claims = { sub: sub ?? client_id, client_id, aud, scope, cnf, jti: jti ?? randomUUID() };
    ctx.body = await new SignJWT(JSON.parse(JSON.stringify(claims)) as Record<string, unknown>)
      .setProtectedHeader({ alg: jwk.alg, typ: 'at+jwt', kid: jwk.kid })
      .setIssuer(String(iss)).setIssuedAt().setExpirationTime(Number(exp))
      .sign(await signingKey);
    ctx.type = 'application/jwt';
    // Not an HTTP cache directive for the gateway's introspection cache: bounded by `exp` there.
    ctx.remove('cache-control');
  }

  async function splitIssued(ctx: Context): Promise<void> {
    const body = ctx.body as { access_token?: unknown } | undefined;
    const token = body?.access_token;
    if (typeof token !== 'string' || token.split('.').length !== 3) return;
    const { aud } = decode(token.split('.')[1]);
    if (aud !== RESOURCES.split && !(Array.isArray(aud) && aud.includes(RESOURCES.split))) return;
    ctx.body = { ...body, access_token: await storeSplitToken(store, token) };
  }

  // RFC 7009: only the token's own client revokes it; anything else stays a silent no-op.
  async function revokeSplit(ctx: Context): Promise<void> {
    const token = ctx.oidc?.body?.token;
    const client = ctx.oidc?.client?.clientId;
    if (typeof token !== 'string' || token.includes('.') || client === undefined) return;
    const stored = await store.get(splitTokenKey(token));
    if (typeof stored === 'string' && decode(stored.split('.')[1]).client_id === client) await revokeSplitToken(store, token);
  }

  provider.use(async (koaContext, next) => {
    await next();
    const ctx = koaContext as unknown as Context;
    if (ctx.method !== 'POST' || ctx.status !== 200) return;
    if (ctx.path === ROUTES.introspection && wantsAccessTokenJwt(ctx.get('accept'))) await answerWithJwt(ctx);
    else if (ctx.path === ROUTES.token) await splitIssued(ctx);
    else if (ctx.path === ROUTES.revocation) await revokeSplit(ctx);
  });
}
