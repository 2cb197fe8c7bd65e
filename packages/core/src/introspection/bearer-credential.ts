import { describeType, quoteValue } from '../errors/detail.js';
import { UpstreamUnavailableError } from '../errors/errors.js';
import { describeRedirect, fetchUpstream, oauthError, parseJsonObject } from '../http/upstream.js';
import { isB64Token } from '../lib/charset.js';
import { assertKnownKeys, knownKeys, parseServerUrl } from '../options/validate.js';
import { SingleFlight, type Outcome } from '../store/single-flight.js';
import {
  addClientAuth, resolveClientAuth, type BearerCredential, type BearerCredentialContext, type BearerTokenGrantOptions,
  type BearerTokenProvider, type ResolvedClientAuth,
} from './client-auth.js';

/**
 * The token of `introspection.clientAuth: 'bearer'` when it expires: from the application's
 * function, or from a client-credentials grant (RFC 6749 §4.4) the guard makes itself. Every
 * failure to get one is a 503 `ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE` whose detail says which
 * step failed and what to check, never the token or the secret; nothing failed is kept.
 */

const CODE = 'ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE';
const GRANT_REQUEST = { code: CODE, what: 'Token request for the introspection credential', operation: 'other' } as const;
const GRANT_KEYS = knownKeys<BearerTokenGrantOptions>()(['tokenEndpoint', 'clientId', 'clientSecret', 'clientAuth', 'privateKeyJwt', 'scope']);
const GRANT_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
/** RFC 6749 §3.3: scope tokens (NQCHAR) separated by single spaces. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;
/** Longest head start, in ms, with which a granted token is renewed before `expires_in` runs out. */
const RENEW_AHEAD_MAX_MS = 60_000;

/**
 * Reads a `bearerToken` that is not a fixed string, named `name` in every `TypeError`: a
 * {@link BearerTokenProvider}, or {@link BearerTokenGrantOptions} (checked now; no request is
 * made until the first introspection call).
 */
export function readBearerCredential(value: object, name: string, allowInsecureRequests: boolean): BearerCredential {
  if (typeof value === 'function') return providerCredential(value as BearerTokenProvider, name);
  assertKnownKeys(value, GRANT_KEYS, name);
  const raw = value as Partial<BearerTokenGrantOptions>;
  const endpoint = parseServerUrl(raw.tokenEndpoint, `${name}.tokenEndpoint`, allowInsecureRequests);
  if (raw.clientId === undefined) throw new TypeError(`resource-guard: "${name}.clientId" is required for the client-credentials grant`);
  const auth = resolveClientAuth(raw, name, GRANT_METHODS);
  if (raw.scope !== undefined && (typeof raw.scope !== 'string' || !SCOPE.test(raw.scope))) {
    throw new TypeError(`resource-guard: "${name}.scope" must be scope tokens separated by single spaces (RFC 6749 §3.3)`);
  }
  return grantCredential({ endpoint, auth, scope: raw.scope, name });
}

function unavailable(message: string, detail: string, cause?: unknown): UpstreamUnavailableError {
  return new UpstreamUnavailableError(message, CODE, cause === undefined ? { detail } : { detail, cause });
}

function providerCredential(provider: BearerTokenProvider, name: string): BearerCredential {
  return {
    renewable: true,
    async token(_context, rejected) {
      let token: unknown;
      try {
        token = await provider({ renew: rejected !== undefined });
      } catch (cause) {
        // The application's own error is the cause; the detail names only its class.
        const kind = cause instanceof Error ? ` (${cause.name})` : '';
        throw unavailable('The introspection credential could not be obtained', `the function of "${name}" threw${kind}`, cause);
      }
      if (typeof token !== 'string' || !isB64Token(token)) {
        const what = typeof token === 'string' ? 'a string that is not a token of the b64token characters (RFC 6750 §2.1)' : describeType(token);
        throw unavailable('The introspection credential could not be obtained', `the function of "${name}" returned ${what}`);
      }
      return token;
    },
  };
}

interface Grant {
  endpoint: URL;
  auth: ResolvedClientAuth;
  scope: string | undefined;
  name: string;
}

/** A granted token and the epoch ms from which it is renewed before use (`Infinity`: until refused). */
interface Granted {
  token: string;
  renewAt: number;
}

function grantCredential(grant: Grant): BearerCredential {
  const flight = new SingleFlight<Granted>();
  let current: Granted | undefined;
  const load = async (context: BearerCredentialContext): Promise<Outcome<Granted>> => {
    try {
      current = await requestToken(grant, context);
      return { value: current };
    } catch (error) {
      return { error };
    }
  };
  return {
    renewable: true,
    token(context, rejected) {
      // A token the endpoint refused is replaced once: callers refused with an older one take the new one.
      if (current !== undefined && current.token !== rejected && context.clock() < current.renewAt) return current.token;
      return flight.run('token', () => load(context)).then((granted) => granted.token);
    },
  };
}

async function requestToken(grant: Grant, context: BearerCredentialContext): Promise<Granted> {
  const { endpoint, auth, scope, name } = grant;
  const params = new URLSearchParams();
  params.set('grant_type', 'client_credentials');
  if (scope !== undefined) params.set('scope', scope);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const now = context.clock();
  await addClientAuth(auth, endpoint, now, headers, params);
  const response = await fetchUpstream(context.fetch, endpoint, {
    ...GRANT_REQUEST, method: 'POST', headers, body: params.toString(), timeout: context.timeout, telemetry: context.telemetry,
  });
  const where = `POST ${endpoint.origin}${endpoint.pathname}`;
  if (response.status !== 200) {
    const error = oauthError(response);
    const detail = describeRedirect(response, where, `set "${name}.tokenEndpoint" to the URL the server answers at`)
      ?? `${where} answered HTTP ${response.status}${error === undefined ? '' : ` ${quoteValue(error, 32)}`}; `
        + `check "${name}.clientId", its credential (${auth.clientAuth}) and "${name}.scope"`;
    throw unavailable('The token endpoint did not grant the introspection credential', detail);
  }
  const body = parseJsonObject(response, GRANT_REQUEST);
  const invalid = (what: string) => unavailable('The token endpoint answered with an unusable token response', `${where}: ${what}`);
  if (typeof body.access_token !== 'string' || !isB64Token(body.access_token)) {
    throw invalid(`"access_token" is ${typeof body.access_token === 'string' ? 'not a token of the b64token characters' : describeType(body.access_token)}`);
  }
  // RFC 6749 §5.1: token_type is required; only a Bearer token can be sent as one.
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw invalid(`"token_type" is ${quoteValue(body.token_type, 32)}, not Bearer`);
  }
  const expiresIn = body.expires_in;
  if (expiresIn === undefined) return { token: body.access_token, renewAt: Number.POSITIVE_INFINITY };
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw invalid(`"expires_in" is ${quoteValue(expiresIn, 32)}, not a positive number of seconds`);
  }
  const lifetime = expiresIn * 1000;
  return { token: body.access_token, renewAt: now + lifetime - Math.min(RENEW_AHEAD_MAX_MS, lifetime / 4) };
}
