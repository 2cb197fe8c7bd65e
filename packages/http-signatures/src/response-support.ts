import { createResponseSigner, type ResponseSigner } from './sign-response.js';
import type { SignerOptions } from './sign-message.js';

/** A response signer, or the options to make one with. */
export type SignerInput = ResponseSigner | SignerOptions;

/** `input` as a signer: made now (options checked at start-up) unless it is one. */
export function toSigner(input: SignerInput): ResponseSigner {
  if (typeof (input as ResponseSigner | undefined)?.sign === 'function') return input as ResponseSigner;
  return createResponseSigner(input as SignerOptions);
}
