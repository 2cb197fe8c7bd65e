import { FAPI_REQUEST_TAG } from './options.js';
import {
  bodyDigest, component, hasField, resolveSignerOptions, signMessage, type SignatureFields, type SignerOptions,
} from './sign-message.js';
import type { SignedRequest } from './verify-request.js';

/** Signs requests as a FAPI 2.0 client does; made once by {@link createRequestSigner}. */
export interface RequestSigner {
  /**
   * The fields to add to `request` (its final `Authorization` and `DPoP` fields included, its body
   * as it will be sent): `Content-Digest` when it has a body, `Signature-Input` and `Signature`.
   */
  sign(request: SignedRequest): Promise<SignatureFields>;
}

/**
 * Makes a signer of requests for FAPI 2.0 Message Signing §5.6 (signing resource requests; RFC 9421 §3.1): the signature
 * covers `@method`, `@target-uri`, `authorization` and `dpop` when the request has them, and
 * `content-digest` (RFC 9530, computed here) when it has a body; `created` now, `tag`
 * `"fapi-2-request"`. For clients and tests; a resource server only verifies requests.
 */
export function createRequestSigner(options: SignerOptions): RequestSigner {
  const settings = resolveSignerOptions(options, FAPI_REQUEST_TAG);
  return Object.freeze({
    async sign(request: SignedRequest): Promise<SignatureFields> {
      const digest = await bodyDigest(request.body, settings);
      const headers = digest === undefined ? request.headers : { ...request.headers, 'content-digest': digest };
      const components = [component('@method'), component('@target-uri')];
      for (const name of ['authorization', 'dpop', 'content-digest']) if (hasField(headers, name)) components.push(component(name));
      const fields = await signMessage({ request: { method: request.method, url: request.url, headers } }, components, settings);
      return digest === undefined ? fields : { 'content-digest': digest, ...fields };
    },
  });
}
