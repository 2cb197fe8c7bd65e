import { fieldLines, type HttpHeaders } from './signature-base.js';
import {
  ByteSequence, isInnerList, parseDictionary, type Dictionary, type InnerList,
} from './structured-fields.js';

/** One signature of a message: its `Signature-Input` member and its `Signature` bytes (RFC 9421 §4). */
export interface MessageSignature {
  /** The dictionary key shared by both fields (e.g. `sig1`). */
  label: string;
  /** The covered components and signature parameters. */
  input: InnerList;
  /** The signature bytes. */
  signature: Uint8Array;
}

/** Bounds on the signature fields, checked before any parsing (all of them unauthenticated input). */
export interface SignatureHeaderLimits {
  /** Longest `Signature-Input` and `Signature` value (each, all lines together), in characters. Default 8192. */
  maxFieldLength?: number;
  /** Most signatures (dictionary members) in one message. Default 8. */
  maxSignatures?: number;
  /** Most covered components in one signature. Default 32. */
  maxComponents?: number;
}

/** Why the signature fields were refused: absent, too large, or not valid RFC 9421 §4 fields. */
export class SignatureHeaderError extends Error {
  constructor(message: string, readonly reason: 'missing' | 'too-large' | 'malformed') {
    super(message);
  }
}

/** The defaults of {@link SignatureHeaderLimits}. */
export const DEFAULT_SIGNATURE_HEADER_LIMITS: Readonly<Required<SignatureHeaderLimits>> = Object.freeze({
  maxFieldLength: 8192, maxSignatures: 8, maxComponents: 32,
});

function readField(headers: HttpHeaders, name: string, limits: Required<SignatureHeaderLimits>): Dictionary {
  const lines = fieldLines(headers, name);
  if (lines === undefined || lines.length === 0) throw new SignatureHeaderError(`no ${name} field`, 'missing');
  let length = 0;
  for (const line of lines) length += line.length + 2;
  if (length > limits.maxFieldLength + 2) throw new SignatureHeaderError(`the ${name} field is too long`, 'too-large');
  try {
    return parseDictionary(lines.join(', '));
  } catch {
    throw new SignatureHeaderError(`the ${name} field is not a structured dictionary`, 'malformed');
  }
}

/**
 * Every signature of a message (RFC 9421 §4.1, §4.2): the `Signature-Input` and `Signature`
 * fields parsed as Dictionaries, within `limits`, each `Signature-Input` member an Inner List of
 * strings with a `Signature` member of the same label holding a Byte Sequence. Throws
 * {@link SignatureHeaderError}; the messages name the field, never its content. Does not judge
 * the parameters (`created`, `tag`, ...): the verifier does.
 */
export function parseMessageSignatures(headers: HttpHeaders, limits: SignatureHeaderLimits = {}): MessageSignature[] {
  const bounds = { ...DEFAULT_SIGNATURE_HEADER_LIMITS, ...limits };
  const inputs = readField(headers, 'signature-input', bounds);
  const signatures = readField(headers, 'signature', bounds);
  if (inputs.size > bounds.maxSignatures || signatures.size > bounds.maxSignatures) {
    throw new SignatureHeaderError('too many signatures', 'too-large');
  }
  const result: MessageSignature[] = [];
  for (const [label, input] of inputs) {
    if (!isInnerList(input) || input.items.some((item) => typeof item.value !== 'string')) {
      throw new SignatureHeaderError('a Signature-Input member is not an inner list of component identifiers', 'malformed');
    }
    if (input.items.length > bounds.maxComponents) throw new SignatureHeaderError('a signature covers too many components', 'too-large');
    const signature = signatures.get(label);
    if (signature === undefined || isInnerList(signature) || !(signature.value instanceof ByteSequence)) {
      throw new SignatureHeaderError('a Signature-Input member has no Signature byte sequence', 'malformed');
    }
    result.push({ label, input, signature: signature.value.bytes });
  }
  return result;
}
