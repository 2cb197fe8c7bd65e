import type { JsonWebKey } from '@resource-guard/core';
import { resolveKey, type KeyError } from './algorithms.js';
import { signatureError } from './errors.js';
import { FAPI_RESPONSE_TAG, resolveVerifierOptions, type KeySet, type RequestSignatureVerifierOptions } from './options.js';
import { fieldLines } from './signature-base.js';
import {
  buildSignatureBase, checkBodyDigest, checkCoveredComponents, checkSignature, checkSignatureTime, readSignatureParams,
  selectTaggedSignature, type Fail,
} from './signature-checks.js';
import type { SignableResponse } from './sign-response.js';
import { serializeMember } from './structured-fields.js';
import { identifier, type SignedRequest } from './verify-request.js';

/** Options of {@link createResponseSignatureVerifier}: the verifier's, with the server's keys. */
export interface ResponseSignatureVerifierOptions extends Omit<RequestSignatureVerifierOptions, 'keys' | 'confirmationKey' | 'tag'> {
  /** The resource server's public keys; a signature without `keyid` uses the set's only key. */
  keys: KeySet;
  /** The `tag` a response signature must carry. Default `"fapi-2-response"`. */
  tag?: string;
}

/** A response signature that verified. */
export interface VerifiedResponseSignature {
  label: string;
  components: readonly string[];
  keyid: string | undefined;
  created: number;
}

/** Verifies signed responses, as a FAPI 2.0 client does; made once by {@link createResponseSignatureVerifier}. */
export interface ResponseSignatureVerifier {
  /** Verifies `response` to `request` (as sent, with its body); throws a `GuardError` with an `ERR_HTTPSIG_*` code otherwise. */
  verify(response: SignableResponse, request: SignedRequest): Promise<VerifiedResponseSignature>;
}

/**
 * Makes a verifier of response signatures for FAPI 2.0 Message Signing §5.6 clients (RFC 9421
 * §3.2): the one signature tagged `"fapi-2-response"`, `created` within the window, covering
 * `@status`, `"@method";req`, `"@target-uri";req`, `"authorization";req` when the request had
 * one and `content-digest` when the response has a body, the digest matching the body, and the
 * signature verifying with the server's key (by `keyid`). The same rules as the request verifier.
 */
export function createResponseSignatureVerifier(options: ResponseSignatureVerifierOptions): ResponseSignatureVerifier {
  const { tag, ...rest } = options ?? ({} as ResponseSignatureVerifierOptions);
  if (typeof rest.keys !== 'object' || rest.keys === null) throw new TypeError('resource-guard: "keys" (the server key set) is required');
  const settings = resolveVerifierOptions({ ...rest, confirmationKey: false, tag: tag ?? FAPI_RESPONSE_TAG });
  const fail: Fail = (code, message, detail, cause) => signatureError(code, message, undefined, detail, cause);
  return Object.freeze({
    async verify(response: SignableResponse, request: SignedRequest): Promise<VerifiedResponseSignature> {
      const { label, input, signature } = selectTaggedSignature(response.headers, settings.limits, settings.tag, fail);
      const params = readSignatureParams(input, fail);
      checkSignatureTime(params, Math.floor(settings.clock() / 1000), settings.maxAge, settings.clockTolerance, fail);
      const required = ['"@status"', '"@method";req', '"@target-uri";req'];
      if (fieldLines(request.headers, 'authorization') !== undefined) required.push('"authorization";req');
      if (response.body !== undefined && response.body.length > 0) required.push(identifier('content-digest'));
      for (const name of settings.requiredComponents) required.push(identifier(name));
      checkCoveredComponents(input, required, fail);
      await checkBodyDigest(response.headers, response.body, fail);
      const base = buildSignatureBase(input, { request, response }, fail);
      const keys = (settings.keys as KeySet).keys;
      const matches = params.keyid === undefined ? (keys.length === 1 ? keys : []) : keys.filter((jwk: JsonWebKey) => jwk.kid === params.keyid);
      if (matches.length !== 1) throw fail('ERR_HTTPSIG_KEY_UNKNOWN', 'The signature key is not known', 'no single key for this keyid');
      let key;
      try {
        key = resolveKey(matches[0]!, 'verify', settings.algorithms);
      } catch (error) {
        throw fail('ERR_HTTPSIG_KEY_UNUSABLE', 'The signature key cannot be used', (error as KeyError).message);
      }
      await checkSignature(key, params, signature, base, fail);
      return Object.freeze({ label, components: Object.freeze(input.items.map((item) => serializeMember(item))), keyid: params.keyid, created: params.created });
    },
  });
}
