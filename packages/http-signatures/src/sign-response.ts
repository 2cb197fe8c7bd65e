import { FAPI_RESPONSE_TAG } from './options.js';
import {
  bodyDigest, component, hasField, resolveSignerOptions, signMessage, type SignatureFields, type SignerOptions,
} from './sign-message.js';
import type { HttpHeaders } from './signature-base.js';
import type { SignedRequest, VerifiedRequestSignature } from './verify-request.js';

/** A response as the signer reads it: status, fields, and the body exactly as it will be sent. */
export interface SignableResponse {
  status: number;
  headers: HttpHeaders;
  body?: Uint8Array | undefined;
}

/** Signs responses; made once by {@link createResponseSigner}. */
export interface ResponseSigner {
  /**
   * The fields to add to `response` (`Content-Digest` when it has a body, `Signature-Input`,
   * `Signature`), bound to `request`: the request's method, target URI, `Authorization`, `DPoP`
   * and `Content-Digest` through `;req` components, and its verified signature (`"signature";req;key=…`)
   * when `requestSignature` is given.
   */
  sign(response: SignableResponse, request: SignedRequest, requestSignature?: VerifiedRequestSignature): Promise<SignatureFields>;
}

const REQ = () => new Map([['req', true as const]]);

/**
 * Makes a signer of responses for FAPI 2.0 Message Signing §5.6 (signing resource responses; RFC 9421 §3.1, §2.4): the
 * signature covers `"@method";req`, `"@target-uri";req`, `"authorization";req`, `"dpop";req` and
 * `"content-digest";req` when the request had them, the request's signature
 * (`"signature";req;key="<label>"`) when it was verified, then `@status` and `content-digest`
 * (RFC 9530, computed here) when the response has a body; `created` now, `tag`
 * `"fapi-2-response"`, the key from `options.key`. Status and fields must be final: sign last.
 */
export function createResponseSigner(options: SignerOptions): ResponseSigner {
  const settings = resolveSignerOptions(options, FAPI_RESPONSE_TAG);
  return Object.freeze({
    async sign(response: SignableResponse, request: SignedRequest, requestSignature?: VerifiedRequestSignature): Promise<SignatureFields> {
      const digest = await bodyDigest(response.body, settings);
      const headers = digest === undefined ? response.headers : { ...response.headers, 'content-digest': digest };
      const components = [component('@method', REQ()), component('@target-uri', REQ())];
      for (const name of ['authorization', 'dpop', 'content-digest']) if (hasField(request.headers, name)) components.push(component(name, REQ()));
      if (requestSignature !== undefined) components.push(component('signature', new Map<string, string | boolean>([['req', true], ['key', requestSignature.label]])));
      components.push(component('@status'));
      if (digest !== undefined) components.push(component('content-digest'));
      const fields = await signMessage({ request, response: { status: response.status, headers } }, components, settings);
      return digest === undefined ? fields : { 'content-digest': digest, ...fields };
    },
  });
}
