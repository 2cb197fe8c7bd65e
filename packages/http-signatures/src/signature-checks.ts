import type { GuardError } from '@resource-guard/core';
import { verifyBytes, type ResolvedKey } from './algorithms.js';
import { checkContentDigest } from './content-digest.js';
import type { HttpSignatureErrorCode } from './error-codes.js';
import { createSignatureBase, fieldLines, type HttpHeaders, type SignatureBaseMessage } from './signature-base.js';
import type { SignatureHeaderError } from './signature-headers.js';
import { parseMessageSignatures, type MessageSignature, type SignatureHeaderLimits } from './signature-headers.js';
import { serializeMember, type InnerList } from './structured-fields.js';

/**
 * The checks request and response verification share (RFC 9421 §3.2), each throwing the
 * rejection `fail` makes: one place per rule for both directions.
 */
export type Fail = (code: HttpSignatureErrorCode, message: string, detail: string, cause?: unknown) => GuardError;

/** The typed signature parameters (RFC 9421 §2.3). */
export interface SignatureParams {
  created: number;
  expires: number | undefined;
  keyid: string | undefined;
  alg: string | undefined;
}

/** The one signature of `headers` tagged `tag` (fields within `limits`); two or none are refused. */
export function selectTaggedSignature(headers: HttpHeaders, limits: Required<SignatureHeaderLimits>, tag: string, fail: Fail): MessageSignature {
  let signatures: MessageSignature[];
  try {
    signatures = parseMessageSignatures(headers, limits);
  } catch (error) {
    const { reason, message } = error as SignatureHeaderError;
    if (reason === 'missing') throw fail('ERR_HTTPSIG_MISSING', 'The message is not signed', message);
    if (reason === 'too-large') throw fail('ERR_HTTPSIG_TOO_LARGE', 'The signature fields are too large', message);
    throw fail('ERR_HTTPSIG_MALFORMED', 'The signature fields are malformed', message);
  }
  const tagged = signatures.filter((entry) => entry.input.params.get('tag') === tag);
  if (tagged.length !== 1) {
    throw fail('ERR_HTTPSIG_TAG_INVALID', 'No signature has the required tag', tagged.length === 0 ? `no signature has tag "${tag}"` : `${tagged.length} signatures have tag "${tag}"`);
  }
  return tagged[0]!;
}

/** `created` (required), `expires`, `keyid` and `alg`, each of its RFC 9421 §2.3 type. */
export function readSignatureParams(input: InnerList, fail: Fail): SignatureParams {
  const { params } = input;
  const created = params.get('created');
  const expires = params.get('expires');
  const keyid = params.get('keyid');
  const alg = params.get('alg');
  if (created === undefined) throw fail('ERR_HTTPSIG_CREATED_MISSING', 'The signature has no creation time', 'no created parameter');
  if (typeof created !== 'number' || (expires !== undefined && typeof expires !== 'number')
    || (keyid !== undefined && typeof keyid !== 'string') || (alg !== undefined && typeof alg !== 'string')) {
    throw fail('ERR_HTTPSIG_MALFORMED', 'The signature fields are malformed', 'a signature parameter has the wrong type (RFC 9421 §2.3)');
  }
  return { created, expires: expires as number | undefined, keyid: keyid as string | undefined, alg: alg as string | undefined };
}

/** `created` at most `maxAge` seconds old and at most `clockTolerance` seconds ahead; `expires` not past. Times in epoch seconds. */
export function checkSignatureTime(params: SignatureParams, now: number, maxAge: number, clockTolerance: number, fail: Fail): void {
  const { created, expires } = params;
  if (created > now + clockTolerance) throw fail('ERR_HTTPSIG_CREATED_FUTURE', 'The signature was created in the future', `created is ${created - now} s ahead (clockTolerance: ${clockTolerance})`);
  if (now - created > maxAge + clockTolerance) throw fail('ERR_HTTPSIG_CREATED_EXPIRED', 'The signature is too old', `created ${now - created} s ago (maxAge: ${maxAge})`);
  if (expires !== undefined && now > expires + clockTolerance) throw fail('ERR_HTTPSIG_EXPIRED', 'The signature has expired', 'expires is past');
}

/** Every identifier of `required` (serialized, e.g. `"@method";req`) is covered by `input`. */
export function checkCoveredComponents(input: InnerList, required: readonly string[], fail: Fail): void {
  const covered = new Set(input.items.map((item) => serializeMember(item)));
  for (const identifier of required) {
    if (!covered.has(identifier)) throw fail('ERR_HTTPSIG_COMPONENT_MISSING', 'The signature does not cover a required component', `${identifier} is not covered`);
  }
}

/** With a body or a `Content-Digest` field: the field matches the body (RFC 9530 §2). */
export async function checkBodyDigest(headers: HttpHeaders, body: Uint8Array | undefined, fail: Fail): Promise<void> {
  const withBody = body !== undefined && body.length > 0;
  if (!withBody && fieldLines(headers, 'content-digest') === undefined) return;
  const digest = await checkContentDigest(headers, body ?? new Uint8Array());
  if (digest === 'missing') throw fail('ERR_HTTPSIG_COMPONENT_MISSING', 'The signature does not cover a required component', 'no Content-Digest field for the body');
  if (digest === 'malformed') throw fail('ERR_HTTPSIG_MALFORMED', 'The signature fields are malformed', 'Content-Digest is not a dictionary of byte sequences');
  if (digest === 'unsupported') throw fail('ERR_HTTPSIG_DIGEST_UNSUPPORTED', 'The content digest algorithm is not supported', 'Content-Digest has no sha-256 or sha-512 member');
  if (digest === 'mismatch') throw fail('ERR_HTTPSIG_DIGEST_MISMATCH', 'The content digest does not match the body', 'a Content-Digest member differs from the body\'s digest');
}

/** The signature base of `message`, or the rejection of a component that cannot be resolved. */
export function buildSignatureBase(input: InnerList, message: SignatureBaseMessage, fail: Fail): string {
  try {
    return createSignatureBase(input, message);
  } catch (error) {
    throw fail('ERR_HTTPSIG_COMPONENT_INVALID', 'A covered component cannot be resolved', (error as Error).message);
  }
}

/** The `alg` parameter, if any, names the key's own algorithm; the signature verifies over `base`. */
export async function checkSignature(key: ResolvedKey, params: SignatureParams, signature: Uint8Array, base: string, fail: Fail): Promise<void> {
  if (params.alg !== undefined && params.alg !== key.httpAlgorithm) {
    throw fail('ERR_HTTPSIG_ALG_MISMATCH', 'The signature algorithm does not match the key', `alg names another algorithm than the key's ${key.algorithm}`);
  }
  if (!await verifyBytes(key, signature, new TextEncoder().encode(base))) {
    throw fail('ERR_HTTPSIG_SIGNATURE_INVALID', 'The signature is invalid', `the ${key.algorithm} signature does not verify`);
  }
}
