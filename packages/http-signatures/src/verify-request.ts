import { jwkThumbprint, type AuthContext, type JsonWebKey } from '@resource-guard/core';
import { KeyError, resolveKey, type ResolvedKey, type SignatureAlgorithm } from './algorithms.js';
import { signatureError } from './errors.js';
import { resolveVerifierOptions, type KeySet, type RequestSignatureVerifierOptions, type ResolvedVerifierOptions } from './options.js';
import { canonicalSignature, checkNonce, recordSignature, replayTtl } from './replay-guard.js';
import { fieldLines, type HttpRequestParts } from './signature-base.js';
import {
  buildSignatureBase, checkBodyDigest, checkCoveredComponents, checkSignature, checkSignatureTime, readSignatureParams,
  selectTaggedSignature, type Fail,
} from './signature-checks.js';
import { serializeMember } from './structured-fields.js';

/** A request as the verifier reads it: its parts and its body exactly as received (`undefined` or empty: no body). */
export interface SignedRequest extends HttpRequestParts {
  body?: Uint8Array | undefined;
}

/** A request signature that verified (RFC 9421 §3.2), for the handler and the response signature. */
export interface VerifiedRequestSignature {
  /** The signature's label in `Signature-Input` and `Signature` (e.g. `sig1`). */
  label: string;
  /** The covered component identifiers, serialized (e.g. `"@method"`, `"content-digest"`). */
  components: readonly string[];
  /** `keyid`, when the signature has one. */
  keyid: string | undefined;
  /** The algorithm the key decided. */
  algorithm: SignatureAlgorithm;
  /** `created`, in epoch seconds. */
  created: number;
  /** `expires`, in epoch seconds, when present. */
  expires: number | undefined;
  /** Where the key came from: the configured key set, or the token's confirmation (`cnf`). */
  keySource: 'keys' | 'confirmation';
}

/** Verifies FAPI 2.0 signed requests; made once by {@link createRequestSignatureVerifier}. */
export interface RequestSignatureVerifier {
  /**
   * Verifies the request's signature tagged with the configured `tag` and returns it; throws a
   * `GuardError` with an `ERR_HTTPSIG_*` code otherwise. `auth` is the context of the request's
   * verified token (from `protect()`): its `cnf` key and its scheme for the challenge.
   */
  verify(request: SignedRequest, auth?: AuthContext): Promise<VerifiedRequestSignature>;
  /** The `Accept-Signature` value (RFC 9421 §5.1) that tells a client what to sign for `request`. */
  acceptSignature(request: SignedRequest): string;
}

interface Candidate {
  key: ResolvedKey;
  source: 'keys' | 'confirmation';
}

// Keys of a configured set are imported once; token keys are per request.
const resolvedKeys = new WeakMap<object, Map<string, ResolvedKey | KeyError>>();

function resolveCached(jwk: JsonWebKey, algorithms: readonly SignatureAlgorithm[]): ResolvedKey {
  let byAlgorithms = resolvedKeys.get(jwk);
  if (byAlgorithms === undefined) resolvedKeys.set(jwk, byAlgorithms = new Map());
  const cacheKey = algorithms.join(',');
  let resolved = byAlgorithms.get(cacheKey);
  if (resolved === undefined) {
    try {
      resolved = resolveKey(jwk, 'verify', algorithms);
    } catch (error) {
      resolved = error as KeyError;
    }
    byAlgorithms.set(cacheKey, resolved);
  }
  if (resolved instanceof KeyError) throw resolved;
  return resolved;
}

/** The serialized identifier of a plain component (`"@method"`). */
export function identifier(name: string): string {
  return serializeMember({ value: name, params: new Map() });
}

function isHeaderPresent(request: SignedRequest, name: string): boolean {
  return fieldLines(request.headers, name) !== undefined;
}

function hasBody(request: SignedRequest): boolean {
  return request.body !== undefined && request.body.length > 0;
}

/** The components FAPI 2.0 Message Signing requires of this request, then the configured ones. */
function requiredComponents(request: SignedRequest, settings: ResolvedVerifierOptions): string[] {
  const required = ['@method', '@target-uri'];
  if (isHeaderPresent(request, 'authorization')) required.push('authorization');
  if (isHeaderPresent(request, 'dpop')) required.push('dpop');
  if (hasBody(request)) required.push('content-digest');
  for (const name of settings.requiredComponents) if (!required.includes(name)) required.push(name);
  return required;
}

// The DPoP proof's `jwk` header, when its thumbprint is the token's `cnf.jkt`: the guard verified
// the proof with this key, so the key is the one the token is bound to.
function dpopProofKey(request: SignedRequest, jkt: string): JsonWebKey | undefined {
  const lines = fieldLines(request.headers, 'dpop');
  if (lines?.length !== 1) return undefined;
  const header = lines[0]!.split('.')[0]!;
  let jwk: unknown;
  try {
    jwk = (JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(header.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))) as { jwk?: unknown }).jwk;
  } catch {
    return undefined;
  }
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  return jwkThumbprint(jwk as Record<string, unknown>) === jkt ? jwk as JsonWebKey : undefined;
}

function confirmationJwk(request: SignedRequest, auth: AuthContext | undefined): JsonWebKey | undefined {
  const cnf = auth?.confirmation;
  if (cnf === undefined) return undefined;
  if (typeof cnf.jwk === 'object' && cnf.jwk !== null) return cnf.jwk as JsonWebKey;
  return typeof cnf.jkt === 'string' ? dpopProofKey(request, cnf.jkt) : undefined;
}

/**
 * Makes a verifier of FAPI 2.0 signed requests (FAPI 2.0 Message Signing §5.6, RFC 9421 §3.2).
 * Options are checked once (a bad one throws a `TypeError` naming it). Per request, cheap checks
 * first: the fields' size and syntax, the one signature with the configured `tag`, its `created`
 * (at most `maxAge` seconds old, at most `clockTolerance` seconds ahead) and `expires`, the covered
 * components (`@method`, `@target-uri`, `authorization`, `dpop` when the request has one,
 * `content-digest` when it has a body), the body's RFC 9530 digest, then the key (from `keys` by
 * `keyid`, or the token's `cnf`), its algorithm (never the `alg` parameter's choice: `alg` may
 * only name the key's own algorithm) and one signature verification. With `replay`, a signature
 * that verified is then recorded in the store and refused the second time within its acceptance
 * window (RFC 9421 §7.2.2), and with `replay.requireNonce` a signature without `nonce` is refused
 * before any key is looked up. Deliberately not checked: without `replay`, replays (`created`
 * bounds the window, as FAPI 2.0 Message Signing asks); signatures with other tags; `Repr-Digest`.
 */
export function createRequestSignatureVerifier(options?: RequestSignatureVerifierOptions): RequestSignatureVerifier {
  const settings = resolveVerifierOptions(options);

  function acceptSignature(request: SignedRequest): string {
    const components = requiredComponents(request, settings).map(identifier);
    return `sig1=(${components.join(' ')});tag=${serializeMember({ value: settings.tag, params: new Map() })}`;
  }

  async function keyFor(request: SignedRequest, keyid: string | undefined, auth: AuthContext | undefined, fail: Fail): Promise<Candidate> {
    let set: KeySet | undefined;
    if (typeof settings.keys === 'function') {
      try {
        set = await settings.keys(auth);
      } catch (cause) {
        throw fail('ERR_HTTPSIG_KEYS_UNAVAILABLE', 'The keys of the signing client could not be loaded', 'the "keys" function failed', cause);
      }
    } else {
      set = settings.keys;
    }
    const keys = Array.isArray(set?.keys) ? set.keys : [];
    const fromSet = keyid === undefined ? (keys.length === 1 ? keys : []) : keys.filter((jwk) => jwk.kid === keyid);
    let jwk: JsonWebKey | undefined;
    let source: Candidate['source'] = 'keys';
    if (fromSet.length > 1) throw fail('ERR_HTTPSIG_KEY_UNKNOWN', 'The signature key is not known', 'two keys of the set have this keyid');
    if (keyid !== undefined) jwk = fromSet[0];
    if (jwk === undefined && settings.confirmationKey) {
      const confirmed = confirmationJwk(request, auth);
      if (confirmed !== undefined && (keyid === undefined || confirmed.kid === undefined || confirmed.kid === keyid)) {
        jwk = confirmed;
        source = 'confirmation';
      }
    }
    jwk ??= fromSet[0];
    if (jwk === undefined) throw fail('ERR_HTTPSIG_KEY_UNKNOWN', 'The signature key is not known', keyid === undefined ? 'no keyid and no single key to use' : 'no key has this keyid');
    try {
      return { key: source === 'keys' ? resolveCached(jwk, settings.algorithms) : resolveKey(jwk, 'verify', settings.algorithms), source };
    } catch (error) {
      throw fail('ERR_HTTPSIG_KEY_UNUSABLE', 'The signature key cannot be used', (error as Error).message);
    }
  }

  async function verify(request: SignedRequest, auth?: AuthContext): Promise<VerifiedRequestSignature> {
    const hint = { scheme: auth?.scheme ?? 'Bearer', acceptSignature: acceptSignature(request) };
    const fail: Fail = (code, message, detail, cause) => signatureError(code, message, hint, detail, cause);
    const { label, input, signature } = selectTaggedSignature(request.headers, settings.limits, settings.tag, fail);
    const params = readSignatureParams(input, fail);
    const now = Math.floor(settings.clock() / 1000);
    checkSignatureTime(params, now, settings.maxAge, settings.clockTolerance, fail);
    checkNonce(settings.replay, input.params.get('nonce'), fail);
    checkCoveredComponents(input, requiredComponents(request, settings).map(identifier), fail);
    await checkBodyDigest(request.headers, request.body, fail);
    const base = buildSignatureBase(input, { request }, fail);
    const { key, source } = await keyFor(request, params.keyid, auth, fail);
    await checkSignature(key, params, signature, base, fail);
    // After the signature: only requests the client signed cost a store write.
    if (settings.replay !== undefined) {
      const ttl = replayTtl(params, { now, maxAge: settings.maxAge, clockTolerance: settings.clockTolerance });
      await recordSignature(settings.replay, canonicalSignature(key.algorithm, signature), ttl, fail);
    }
    return Object.freeze({
      label, components: Object.freeze(input.items.map((item) => serializeMember(item))), keyid: params.keyid,
      algorithm: key.algorithm, created: params.created, expires: params.expires, keySource: source,
    });
  }

  return Object.freeze({ verify, acceptSignature });
}
