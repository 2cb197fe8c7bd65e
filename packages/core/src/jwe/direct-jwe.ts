import { decodeBase64, encodeBase64Url, encodeUtf8, openAesGcm, sealAesGcm } from '#crypto-backend';
import { decodeJsonSegment } from '../jws/jws.js';
import { hasCanonicalEnd, isBase64Url } from '../lib/charset.js';

/**
 * Compact JWEs with a shared 32-byte key (RFC 7516 §7.1, `alg: dir`, `enc: A256GCM`, RFC 7518
 * §4.5 and §5.3), on the crypto backend's AES-GCM: the gateway's token-handler cookies, which
 * the gateway both issues and reads. The authenticated protected header carries whatever the
 * caller adds (`kid`, a purpose, an expiry); this module checks only the JWE itself, never the
 * meaning of those members. Compression (`zip`) and critical extensions (`crit`) are refused.
 */

const GCM_IV = 12;
const GCM_TAG = 16;
const FIXED = { alg: 'dir', enc: 'A256GCM' } as const;

/** What an opened direct JWE held: its protected header and the UTF-8 plaintext. */
export interface DirectJweResult {
  readonly header: Readonly<Record<string, unknown>>;
  readonly plaintext: string;
}

/**
 * Seals the UTF-8 `plaintext` under `key` (32 bytes) with a fresh random IV, the members of
 * `header` in the protected header next to `alg: dir` and `enc: A256GCM` (which it cannot
 * override). Returns the compact serialisation, five base64url segments, the second empty.
 */
export async function sealDirectJwe(plaintext: string, header: Readonly<Record<string, unknown>>, key: Uint8Array): Promise<string> {
  const protectedHeader = encodeBase64Url(encodeUtf8(JSON.stringify({ ...header, ...FIXED })));
  const sealed = decodeBase64(await sealAesGcm(key, plaintext, protectedHeader));
  const iv = sealed.subarray(0, GCM_IV);
  const ciphertext = sealed.subarray(GCM_IV, sealed.length - GCM_TAG);
  const tag = sealed.subarray(sealed.length - GCM_TAG);
  return `${protectedHeader}..${encodeBase64Url(iv)}.${encodeBase64Url(ciphertext)}.${encodeBase64Url(tag)}`;
}

const isSegment = (segment: string): boolean => isBase64Url(segment) && hasCanonicalEnd(segment);

/**
 * Opens a compact direct JWE sealed with {@link sealDirectJwe} (or any RFC 7516 implementation
 * with `dir` and `A256GCM`). `selectKey` receives the protected header, before any decryption,
 * and returns the 32-byte key or `undefined` (no key: the value is refused). `undefined` for
 * anything that is not such a JWE, names another algorithm, `zip` or `crit`, has a segment that
 * is not canonical base64url, or does not authenticate. Never throws.
 */
export async function openDirectJwe(
  value: string,
  selectKey: (header: Readonly<Record<string, unknown>>) => Uint8Array | undefined,
): Promise<DirectJweResult | undefined> {
  const parts = value.split('.');
  if (parts.length !== 5 || parts[1] !== '') return undefined;
  const [protectedHeader, , iv, ciphertext, tag] = parts as [string, string, string, string, string];
  const header = decodeJsonSegment(protectedHeader);
  if (header === undefined || header.alg !== FIXED.alg || header.enc !== FIXED.enc || 'zip' in header || 'crit' in header) return undefined;
  // An empty ciphertext is a valid JWE of the empty plaintext; the IV and the tag have fixed sizes.
  if (!isSegment(iv) || !isSegment(tag) || (ciphertext !== '' && !isSegment(ciphertext))) return undefined;
  const ivBytes = decodeBase64(iv);
  const tagBytes = decodeBase64(tag);
  if (ivBytes.length !== GCM_IV || tagBytes.length !== GCM_TAG) return undefined;
  const key = selectKey(header);
  if (key?.length !== 32) return undefined;
  const cipherBytes = decodeBase64(ciphertext);
  const body = new Uint8Array(GCM_IV + cipherBytes.length + GCM_TAG);
  body.set(ivBytes);
  body.set(cipherBytes, GCM_IV);
  body.set(tagBytes, GCM_IV + cipherBytes.length);
  const plaintext = await openAesGcm(key, encodeBase64Url(body), protectedHeader);
  return plaintext === undefined ? undefined : { header, plaintext };
}
