/**
 * RFC 8693 token exchange on the dev AS, as an oidc-provider grant type (`registerGrantType`):
 * oidc-provider authenticates the client and checks that it may use the grant; this handler checks
 * the subject (and actor) token, the client's audience policy ({@link TOKEN_EXCHANGE_POLICY}) and
 * an optional DPoP proof, then issues a JWT access token (RFC 9068) for the one target, with the
 * subject's `sub`, `act` for an actor, `cnf.jkt` when DPoP-bound, and an `exp` never past the
 * subject token's. DEVELOPMENT ONLY.
 */
import { randomUUID } from 'node:crypto';
import {
  EmbeddedJWK, SignJWT, calculateJwkThumbprint, createLocalJWKSet, importJWK, jwtVerify, type JWK, type JWTPayload,
} from 'jose';
import { errors, type default as Provider, type KoaContextWithOIDC } from 'oidc-provider';
import { EXCHANGED_TOKEN_TTL, SIGNING_ALG, TOKEN_EXCHANGE_POLICY } from './config.js';
import type { SigningJwk } from './keys.js';

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const PARAMETERS = ['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type', 'actor_token', 'actor_token_type'];
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi']);

/** Counts what the grant saw, for tests and the demo. */
export interface TokenExchangeCounter {
  /** Token-exchange requests that reached the grant handler (issued or refused). */
  requests: number;
  /** Tokens issued. */
  issued: number;
}

const list = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value as string[] : [value as string]);

/** Installs the grant on `provider`, signing with the AS's ES256 key; returns its counter. */
export function installTokenExchange(provider: Provider, keys: readonly SigningJwk[]): TokenExchangeCounter {
  const counter: TokenExchangeCounter = { requests: 0, issued: 0 };
  const jwk = keys.find((key) => key.alg === SIGNING_ALG)!;
  const signingKey = importJWK(jwk as JWK, jwk.alg);
  const publicKeys = createLocalJWKSet({
    keys: keys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK),
  });

  /** The claims of a token this AS issued and that is still valid: a JWT access token, or an opaque one it stores. */
  async function readToken(token: unknown, type: unknown, what: string): Promise<JWTPayload> {
    if (type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`${what}_type must be ${ACCESS_TOKEN_TYPE}`);
    if (typeof token !== 'string') throw new errors.InvalidRequest(`${what} missing`);
    if (token.split('.').length === 3) {
      try {
        return (await jwtVerify(token, publicKeys, { issuer: provider.issuer, typ: 'at+jwt' })).payload;
      } catch {
        throw new errors.InvalidGrant(`${what} is invalid`);
      }
    }
    const stored = await provider.ClientCredentials.find(token);
    if (stored === undefined || stored.isExpired) throw new errors.InvalidGrant(`${what} is invalid`);
    return { sub: stored.clientId, aud: stored.aud ?? stored.resourceServer?.audience, exp: stored.exp, client_id: stored.clientId, scope: stored.scope };
  }

  /** RFC 9449 §4.3, the checks a token endpoint makes: typ, alg, signature by the embedded key, htm, htu, fresh iat. */
  async function readDpop(ctx: KoaContextWithOIDC): Promise<string | undefined> {
    const proof = ctx.get('dpop');
    if (proof === '') return undefined;
    try {
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'], maxTokenAge: 60 });
      const htu = new URL(ctx.href);
      if (payload.htm !== 'POST' || payload.htu !== `${htu.origin}${htu.pathname}` || typeof payload.jti !== 'string') throw new Error('htm/htu/jti');
      return await calculateJwkThumbprint(protectedHeader.jwk!);
    } catch {
      throw new errors.InvalidDpopProof('invalid DPoP proof');
    }
  }

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, async (ctx: KoaContextWithOIDC) => {
    counter.requests += 1;
    const { params, client } = ctx.oidc as unknown as { params: Record<string, unknown>; client: { clientId: string } };
    const policy = TOKEN_EXCHANGE_POLICY[client.clientId];
    if (policy === undefined) throw new errors.UnauthorizedClient('this client may not exchange tokens');
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest('only access tokens are issued');
    }
    const subject = await readToken(params.subject_token, params.subject_token_type, 'subject_token');
    const subjectAudiences = list(subject.aud);
    if (!subjectAudiences.some((audience) => policy.subjectAudiences.includes(audience))) {
      throw new errors.InvalidGrant('the subject token was not sent to this client');
    }
    const targets = [...new Set([...list(params.audience), ...list(params.resource)])];
    if (targets.length !== 1 || !policy.targets.includes(targets[0]!)) throw new errors.InvalidTarget('target not allowed for this client');
    const requested = typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : [...policy.scopes];
    if (requested.some((scope) => !policy.scopes.includes(scope))) throw new errors.InvalidScope('scope not allowed for this target', requested.join(' '));
    const actor = params.actor_token === undefined ? undefined : await readToken(params.actor_token, params.actor_token_type, 'actor_token');
    const jkt = await readDpop(ctx);

    const now = Math.floor(Date.now() / 1000);
    const exp = Math.min(now + EXCHANGED_TOKEN_TTL, typeof subject.exp === 'number' ? subject.exp : Infinity);
    const claims: JWTPayload = { client_id: client.clientId, scope: requested.join(' '), jti: randomUUID() };
    if (actor !== undefined) claims.act = { sub: actor.sub };
    if (jkt !== undefined) claims.cnf = { jkt };
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: jwk.alg, typ: 'at+jwt', kid: jwk.kid })
      .setIssuer(provider.issuer)
      .setSubject(String(subject.sub))
      .setAudience(targets[0]!)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(await signingKey);
    counter.issued += 1;
    ctx.body = {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: jkt === undefined ? 'Bearer' : 'DPoP',
      expires_in: exp - now,
      scope: requested.join(' '),
    };
  }, PARAMETERS, ['audience', 'resource']);
  return counter;
}
