import { fieldLines, type HttpHeaders } from './signature-base.js';
import { ByteSequence, encodeBase64, isInnerList, parseDictionary } from './structured-fields.js';

/** The digest algorithms of RFC 9530 §5 this package computes and checks (the registry's "Active" ones). */
export type DigestAlgorithm = 'sha-256' | 'sha-512';

const HASHES: Readonly<Record<DigestAlgorithm, string>> = { 'sha-256': 'SHA-256', 'sha-512': 'SHA-512' };

/** The RFC 9530 `algorithm` digest of `body` by `crypto.subtle` (the replay guard hashes signatures with it too). */
export async function digest(algorithm: DigestAlgorithm, body: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(HASHES[algorithm], body));
}

/**
 * The `Content-Digest` field value (RFC 9530 §2) of `body`, the content as sent (after any
 * content coding): `sha-256=:<base64>:` by default.
 */
export async function createContentDigest(body: Uint8Array, algorithm: DigestAlgorithm = 'sha-256'): Promise<string> {
  if (!Object.hasOwn(HASHES, algorithm)) throw new TypeError('resource-guard: the digest algorithm must be "sha-256" or "sha-512"');
  return `${algorithm}=:${encodeBase64(await digest(algorithm, body))}:`;
}

/** The outcome of {@link checkContentDigest}. */
export type ContentDigestResult = 'valid' | 'missing' | 'malformed' | 'unsupported' | 'mismatch';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Checks the `Content-Digest` field of `headers` against `body` (RFC 9530 §2): `valid` when at
 * least one `sha-256` or `sha-512` member is present and every such member matches; `missing`
 * without the field; `malformed` when it is not a Dictionary of Byte Sequences; `unsupported`
 * when it has only other algorithms (RFC 9530 §5 lists the deprecated `md5`, `sha`, ... which are
 * never accepted); `mismatch` otherwise. `Repr-Digest` is not read.
 */
export async function checkContentDigest(headers: HttpHeaders, body: Uint8Array): Promise<ContentDigestResult> {
  const lines = fieldLines(headers, 'content-digest');
  if (lines === undefined) return 'missing';
  let members;
  try {
    members = parseDictionary(lines.join(', '));
  } catch {
    return 'malformed';
  }
  let checked = 0;
  for (const [name, member] of members) {
    if (isInnerList(member) || !(member.value instanceof ByteSequence)) return 'malformed';
    if (!Object.hasOwn(HASHES, name)) continue;
    if (!equalBytes(member.value.bytes, await digest(name as DigestAlgorithm, body))) return 'mismatch';
    checked += 1;
  }
  return checked === 0 ? 'unsupported' : 'valid';
}
