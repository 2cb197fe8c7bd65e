/**
 * @resource-guard/http-signatures — HTTP message signatures (RFC 9421) as FAPI 2.0 message
 * signing uses them, with RFC 9530 content digests. Framework-neutral; the adapters' middleware
 * live in the `/express`, `/koa`, `/fastify` and `/fetch` entry points.
 */
export { createSignatureBase, componentValue, SignatureBaseError } from './signature-base.js';
export type { HttpHeaders, HttpRequestParts, HttpResponseParts, SignatureBaseMessage } from './signature-base.js';
export { parseMessageSignatures, SignatureHeaderError, DEFAULT_SIGNATURE_HEADER_LIMITS } from './signature-headers.js';
export type { MessageSignature, SignatureHeaderLimits } from './signature-headers.js';
export {
  ByteSequence, Decimal, Token, StructuredFieldError, parseDictionary, parseItem, parseList,
  serializeDictionary, serializeList, serializeMember,
} from './structured-fields.js';
export type { BareItem, Dictionary, InnerList, Item, Member, Parameters } from './structured-fields.js';
export { FAPI_ALGORITHMS, SIGNATURE_ALGORITHMS } from './algorithms.js';
export type { SignatureAlgorithm } from './algorithms.js';
export { createContentDigest, checkContentDigest } from './content-digest.js';
export type { ContentDigestResult, DigestAlgorithm } from './content-digest.js';
export { HTTP_SIGNATURE_ERROR_CODES } from './error-codes.js';
export type { HttpSignatureErrorCode } from './error-codes.js';
export { FAPI_REQUEST_TAG, FAPI_RESPONSE_TAG } from './options.js';
export type { KeySet, ReplayOptions, RequestSignatureVerifierOptions } from './options.js';
export { createRequestSignatureVerifier } from './verify-request.js';
export type { RequestSignatureVerifier, SignedRequest, VerifiedRequestSignature } from './verify-request.js';
export { createRequestSigner } from './sign-request.js';
export type { RequestSigner } from './sign-request.js';
export { createResponseSigner } from './sign-response.js';
export type { ResponseSigner, SignableResponse } from './sign-response.js';
export type { SignatureFields, SignerOptions } from './sign-message.js';
export { createResponseSignatureVerifier } from './verify-response.js';
export type { ResponseSignatureVerifier, ResponseSignatureVerifierOptions, VerifiedResponseSignature } from './verify-response.js';
export type { SignatureMiddlewareSettings, VerifierInput } from './adapter-support.js';
export type { SignerInput } from './response-support.js';
