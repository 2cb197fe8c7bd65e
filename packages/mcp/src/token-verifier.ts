import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { InvalidTokenError as SdkInvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { isGuardError, type AuthContext, type Guard } from '@resource-guard/core';

/** The SDK's `AuthInfo` for a verified context; `token` non-enumerable, as in the context. */
export function toAuthInfo(auth: AuthContext, resource: string): AuthInfo {
  const info: AuthInfo = {
    token: '',
    clientId: auth.clientId ?? '',
    scopes: [...auth.scopes],
    expiresAt: auth.expiresAt,
    resource: new URL(resource),
    extra: {
      subject: auth.subject, issuer: auth.issuer, scheme: auth.scheme, format: auth.format, claims: auth.claims,
      authorizationDetails: auth.authorizationDetails,
    },
  };
  Object.defineProperty(info, 'token', { value: auth.token, enumerable: false });
  return info;
}

/**
 * resource-guard behind the SDK's `OAuthTokenVerifier`, for `requireBearerAuth({ verifier })`:
 * JWTs and introspected tokens, every check of the guard (audience included). What it cannot do:
 * the SDK hands over only the token string — no method, URL or headers — so sender-constrained
 * tokens (DPoP-bound, RFC 9449; certificate-bound, RFC 8705) are always refused here, and neither
 * the Origin check nor per-tool scopes run; use `mcpAuth().protect` for those. Rejections become
 * the SDK's errors: 400/401 → `InvalidTokenError` (its 401), anything else → `ServerError` (500,
 * with a generic message: the cause is for the guard's logs, not the client).
 */
export function createTokenVerifier(guard: Guard, resource: string): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      try {
        const auth = await guard.verify({ method: 'POST', url: resource, headers: { authorization: `Bearer ${token}` } });
        return toAuthInfo(auth, resource);
      } catch (error) {
        // verify() judges the token only (no route requirement): 400/401, or a 5xx of ours or the AS's.
        if (isGuardError(error) && error.status < 500) throw new SdkInvalidTokenError(error.message);
        throw new ServerError('Token verification failed');
      }
    },
  };
}
