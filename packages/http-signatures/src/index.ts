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
