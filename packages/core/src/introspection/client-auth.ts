import { encodeBase64 } from '#crypto-backend';
import { SignJWT } from 'jose';
import { readSigningKey, type PrivateKeyInput, type SigningKey } from '../jws/signing-key.js';
import { isB64Token } from '../lib/charset.js';
import { assertKnownKeys, assertObject, knownKeys, readNumber } from '../options/validate.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * How the guard authenticates to the introspection endpoint (RFC 7662 §2.1, which requires some
 * form of authorization), and token exchange to the token endpoint (RFC 8693 §2.1, RFC 6749 §2.3):
 * the client-secret methods of RFC 6749 §2.3.1, `private_key_jwt`
 * (RFC 7523 §2.2, OpenID Connect Core §9), a bearer token, or none. Options validated once, at
 * start-up; per call, only the request's auth part is built here.
 */

/** Methods of `introspection.clientAuth` (and the first three of `tokenExchange.clientAuth`). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'bearer' | 'none';

/** `introspection.privateKeyJwt`: the key and claims of the RFC 7523 client assertion. */
export interface PrivateKeyJwtOptions {
  /** The client's private key: a `KeyObject` or a private JWK. Its public half is registered at the AS. */
  key: PrivateKeyInput;
  /** JWS algorithm, checked against the key at start-up: `RS256`…`PS512` (RSA ≥ 2048 bits), `ES256`/`ES384`/`ES512` (that curve), `EdDSA`/`Ed25519`. */
  alg: string;
  /** `kid` header. Default: the JWK's `kid`, else none. */
  kid?: string;
  /**
   * `aud` of the assertion. Default: the endpoint URL the call goes to (introspection or token; RFC 7523
   * §3 lets the AS choose; Okta wants the endpoint). Some servers want their issuer identifier
   * instead (ZITADEL): set it here.
   */
  audience?: string;
  /** Seconds from `iat` to `exp` of each assertion. Default 60, at most 600. */
  lifetime?: number;
}

/**
 * A function that returns the token `clientAuth: 'bearer'` sends, for a credential that expires.
 * Called before every introspection call (which the cache and single flight keep rare): keep the
 * token and answer from memory. `renew: true` when the endpoint has just answered 401 to the token
 * it returned last: return a new one (the call is then retried once).
 */
export type BearerTokenProvider = (request: { renew: boolean }) => string | Promise<string>;

/**
 * `introspection.bearerToken` as a client-credentials grant (RFC 6749 §4.4): the guard asks the
 * token endpoint for the token itself, keeps it, renews it before it expires (from `expires_in`)
 * and when the introspection endpoint answers 401, one request at a time however many wait.
 */
export interface BearerTokenGrantOptions {
  /** Token endpoint URL (https; plain http only on loopback or with `allowInsecureRequests`). */
  tokenEndpoint: string;
  /** The client id the token is requested with. */
  clientId: string;
  /** Its secret, for `client_secret_basic` (default) and `client_secret_post`. */
  clientSecret?: string;
  /** How the grant request authenticates: `client_secret_basic` (default), `client_secret_post`, `private_key_jwt`. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** Key and claims of the client assertion with `clientAuth: 'private_key_jwt'`. */
  privateKeyJwt?: PrivateKeyJwtOptions;
  /** `scope` of the grant request (space-separated), e.g. the one the introspection endpoint requires. Default none. */
  scope?: string;
}

/** Where a bearer credential that is fetched gets its I/O; the guard's own settings. */
export interface BearerCredentialContext {
  fetch: typeof fetch;
  clock: () => number;
  /** Milliseconds: the bound of one token request. */
  timeout: number;
  telemetry?: Telemetry | undefined;
}

/** The token `clientAuth: 'bearer'` sends: fixed, from a function, or from a grant; internal. */
export interface BearerCredential {
  /** Whether a token the endpoint refused can be replaced (a function or a grant, not a fixed string). */
  readonly renewable: boolean;
  /** The token to send; `rejected`: the one the endpoint just answered 401 to, to be replaced. */
  token(context: BearerCredentialContext, rejected?: string): string | Promise<string>;
}

/** The auth part of {@link ResolvedIntrospection}; internal. */
export interface ResolvedClientAuth {
  clientAuth: ClientAuthMethod;
  /** `''` when none is configured (`none`, `bearer`). */
  clientId: string;
  clientSecret: string | undefined;
  /** With `bearer`: where the token comes from (set by the feature's options parser). */
  bearer: BearerCredential | undefined;
  assertion: { key: SigningKey; audience: string | undefined; lifetime: number } | undefined;
}

const METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'bearer', 'none'];
const KNOWN_ASSERTION_KEYS = knownKeys<PrivateKeyJwtOptions>()(['key', 'alg', 'kid', 'audience', 'lifetime']);
/** RFC 6749 Appendix A.1/A.2: client ids and secrets are VSCHAR (printable ASCII and space). */
const VSCHAR = /^[\x20-\x7e]+$/;
/** RFC 7523 §3: the assertion type of `private_key_jwt`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the client-auth options are, before validation. */
export interface ClientAuthInput {
  clientId?: unknown;
  clientSecret?: unknown;
  clientAuth?: unknown;
  bearerToken?: unknown;
  privateKeyJwt?: unknown;
  jwtResponse?: unknown;
}

/**
 * Validates the client-auth options of `introspection`, or of another feature that calls the
 * authorization server as this client (token exchange), named `where` in every `TypeError`: each
 * method's own credential required, the others' refused (a secret configured for a method that
 * does not send it is a mistake worth hearing about at start-up). `methods`: those the feature
 * accepts (default all). `readBearer`: how a `bearerToken` that is not a string (a function, a
 * grant) is read; without it only a fixed string is accepted.
 */
export function resolveClientAuth(
  raw: ClientAuthInput,
  where = 'introspection',
  methods: readonly ClientAuthMethod[] = METHODS,
  readBearer?: (value: object, name: string) => BearerCredential,
): ResolvedClientAuth {
  const clientAuth = (raw.clientAuth ?? 'client_secret_basic') as ClientAuthMethod;
  if (!methods.includes(clientAuth)) {
    throw new TypeError(`resource-guard: "${where}.clientAuth" must be one of ${methods.join(', ')}`);
  }
  const secretMethod = clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post';
  // The client id names us in `client_secret_*` and `private_key_jwt`, and is the `aud` of RFC 9701 answers.
  const idRequired = secretMethod || clientAuth === 'private_key_jwt' || raw.jwtResponse === true;
  if (raw.clientId === undefined && idRequired) {
    // Name the reason: with `bearer` or `none` only an RFC 9701 answer needs the id (its `aud`).
    const reason = secretMethod || clientAuth === 'private_key_jwt' ? `with "${where}.clientAuth" ${clientAuth}`
      : `with "${where}.jwtResponse": an RFC 9701 answer's aud must name this client (RFC 9701 §5)`;
    throw new TypeError(`resource-guard: "${where}.clientId" is required ${reason}`);
  }
  const clientId = raw.clientId === undefined ? '' : readCredential(raw.clientId, `${where}.clientId`);
  refuseUnless(where, secretMethod, raw.clientSecret, 'clientSecret', 'client_secret_basic or client_secret_post');
  refuseUnless(where, clientAuth === 'bearer', raw.bearerToken, 'bearerToken', 'bearer');
  refuseUnless(where, clientAuth === 'private_key_jwt', raw.privateKeyJwt, 'privateKeyJwt', 'private_key_jwt');
  let bearer: BearerCredential | undefined;
  if (clientAuth === 'bearer') {
    const token = raw.bearerToken;
    if (typeof token === 'string' && isB64Token(token)) bearer = { renewable: false, token: () => token };
    else if (readBearer !== undefined && (typeof token === 'function' || (typeof token === 'object' && token !== null))) {
      bearer = readBearer(token, `${where}.bearerToken`);
    } else {
      throw new TypeError(`resource-guard: "${where}.bearerToken" must be a token of the b64token characters (RFC 6750 §2.1), `
        + 'a function returning one, or a client-credentials grant ({ tokenEndpoint, clientId, ... })');
    }
  }
  return {
    clientAuth,
    clientId,
    clientSecret: secretMethod ? readCredential(raw.clientSecret, `${where}.clientSecret`) : undefined,
    bearer,
    assertion: clientAuth === 'private_key_jwt' ? readAssertion(raw.privateKeyJwt, where) : undefined,
  };
}

function refuseUnless(where: string, used: boolean, value: unknown, name: string, methods: string): void {
  if (!used && value !== undefined) {
    throw new TypeError(`resource-guard: "${where}.${name}" is only used with "${where}.clientAuth" ${methods}`);
  }
}

function readAssertion(value: unknown, where: string): ResolvedClientAuth['assertion'] {
  const name = `${where}.privateKeyJwt`;
  if (value === undefined) throw new TypeError(`resource-guard: "${name}" ({ key, alg }) is required with clientAuth private_key_jwt`);
  assertObject(value, name);
  const options = value as Partial<PrivateKeyJwtOptions>;
  assertKnownKeys(options, KNOWN_ASSERTION_KEYS, name);
  const key = readSigningKey(options.key, options.alg, options.kid, name);
  if (options.audience !== undefined && (typeof options.audience !== 'string' || options.audience.length === 0)) {
    throw new TypeError(`resource-guard: "${name}.audience" must be a non-empty string`);
  }
  const lifetime = readNumber(options.lifetime, `${name}.lifetime`, 60, 1);
  if (lifetime > 600) throw new TypeError(`resource-guard: "${name}.lifetime" must be at most 600 seconds`);
  return { key, audience: options.audience, lifetime };
}

function readCredential(value: unknown, name: string): string {
  if (typeof value !== 'string' || !VSCHAR.test(value)) {
    throw new TypeError(`resource-guard: "${name}" must be a non-empty string of printable ASCII (RFC 6749 Appendix A)`);
  }
  return value;
}

/**
 * What to add to a "the server rejected our client authentication" detail or log line: with
 * `private_key_jwt`, the assertion's `aud` that was sent and the option that changes it (RFC 7523
 * §3 lets each server choose: the endpoint URL, the default, or its issuer, as ZITADEL wants).
 * `''` for the other methods.
 */
export function describeAssertionAudience(auth: ResolvedClientAuth, endpoint: URL, where: string): string {
  if (auth.assertion === undefined) return '';
  const sent = auth.assertion.audience ?? endpoint.href;
  return `; the private_key_jwt assertion's aud was ${JSON.stringify(sent)}: a server that wants its issuer identifier there `
    + `(ZITADEL) needs "${where}.privateKeyJwt.audience"`;
}

/** The `application/x-www-form-urlencoded` encoding of one value (space → `+`, `%` → `%25`, ...). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * Adds this call's client authentication to `headers` and `params`. `client_secret_basic`
 * form-urlencodes id and secret *before* base64 (RFC 6749 §2.3.1); `private_key_jwt` signs a
 * fresh assertion per call (`iss` = `sub` = client id, `aud`, random `jti`, `iat`, short `exp`),
 * so a captured one is useless after `lifetime` seconds and never replayable as is.
 */
export async function addClientAuth(
  auth: ResolvedClientAuth, endpoint: URL, now: number, headers: Record<string, string>, params: URLSearchParams,
  bearer?: { context: BearerCredentialContext; rejected?: string | undefined },
): Promise<void> {
  switch (auth.clientAuth) {
    case 'client_secret_basic': {
      const credentials = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret!)}`;
      headers.authorization = `Basic ${encodeBase64(credentials)}`;
      return;
    }
    case 'client_secret_post':
      params.set('client_id', auth.clientId);
      params.set('client_secret', auth.clientSecret!);
      return;
    case 'bearer':
      headers.authorization = `Bearer ${await auth.bearer!.token(bearer!.context, bearer!.rejected)}`;
      return;
    case 'none':
      if (auth.clientId !== '') params.set('client_id', auth.clientId);
      return;
    case 'private_key_jwt': {
      const { key, audience, lifetime } = auth.assertion!;
      const iat = Math.floor(now / 1000);
      const assertion = await new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader(key.kid === undefined ? { alg: key.alg, typ: 'JWT' } : { alg: key.alg, typ: 'JWT', kid: key.kid })
        .setIssuer(auth.clientId)
        .setSubject(auth.clientId)
        .setAudience(audience ?? endpoint.href)
        .setIssuedAt(iat)
        .setExpirationTime(iat + lifetime)
        .sign(key.key);
      params.set('client_id', auth.clientId);
      params.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      params.set('client_assertion', assertion);
    }
  }
}
