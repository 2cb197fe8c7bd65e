import {
  GuardError, InvalidRequestError, MisconfigurationError, UpstreamUnavailableError,
} from '@resource-guard/core';
import { HTTP_SIGNATURE_ERROR_CODES, type HttpSignatureErrorCode } from './error-codes.js';

/**
 * A rejection with this package's code, of the class the registry names. 4xx rejections carry
 * `WWW-Authenticate` (the request's scheme with `error="invalid_request"`: RFC 9421 defines no
 * authentication scheme of its own) and, as RFC 9421 §5.1 allows, an `Accept-Signature` naming
 * what a signature must cover. Messages are fixed sentences; `detail` names the rule, never a
 * value from the request.
 */
export function signatureError(
  code: HttpSignatureErrorCode,
  message: string,
  hint: { scheme: string; acceptSignature: string } | undefined,
  detail?: string,
  cause?: unknown,
): GuardError {
  const kind = HTTP_SIGNATURE_ERROR_CODES[code];
  if (kind === 'MisconfigurationError') return new MisconfigurationError(message, code, { detail, cause });
  if (kind === 'UpstreamUnavailableError') return new UpstreamUnavailableError(message, code, { detail, cause, retryAfter: 5 });
  if (code === 'ERR_HTTPSIG_BODY_TOO_LARGE') return new GuardError(message, code, 413, undefined, { detail, cause });
  const headers = hint === undefined ? undefined : {
    'WWW-Authenticate': `${hint.scheme} error="invalid_request", error_description="${message}"`,
    'Accept-Signature': hint.acceptSignature,
  };
  return kind === 'InvalidRequestError'
    ? new InvalidRequestError(message, code, { headers, detail, cause })
    : new GuardError(message, code, 401, 'invalid_request', { headers, detail, cause });
}
