import type { JsonWebKey, PlatformKey } from '../crypto/key-types.js';
import { importPrivateKey, supportsPrivateKeys } from '#crypto-backend';
import { compactDecrypt } from 'jose';
import type { Claims } from '../claims/claims.js';
import { quoteList, quoteValue } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { decodeJsonSegment } from '../jws/jws.js';
import { checkTokenSyntax } from '../lib/charset.js';
import { markDecrypted, redactDecrypted } from './decrypted-claims.js';
import { assertKnownKeys, assertNonEmptyString, assertObject, readBoolean, toStringList } from '../options/validate.js';
import type { TokenFormat } from '../pipeline/formats.js';
import type { MaybePromise } from '../lib/maybe-promise.js';

/** Key-management algorithms accepted for encrypted access tokens (RFC 7518 §4). No RSA1_5, no PBES2. */
export const JWE_KEY_ALGORITHMS: readonly string[] = Object.freeze([
  'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW', 'dir',
]);

/** Content-encryption algorithms accepted by default (RFC 7518 §5). */
export const JWE_CONTENT_ALGORITHMS: readonly string[] = Object.freeze([
  'A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512',
]);

/** One private key that encrypted access tokens may be encrypted to. */
export interface DecryptionKey {
  /** A private `KeyObject` or JWK (RSA, EC, X25519); for `dir`, the secret key (`KeyObject`, bytes). */
  key: PlatformKey | JsonWebKey | Uint8Array;
  /** The key-management algorithm this key is for (one of {@link JWE_KEY_ALGORITHMS}). */
  alg: string;
  /**
   * Names the key: a token whose header names another `kid` does not use it. Required, and
   * distinct, when several keys share an `alg` (a rotation): a token is decrypted with one key
   * only, the one its `kid` names (see {@link EncryptedTokenOptions}). Default none.
   */
  kid?: string;
}

/**
 * Encrypted JWT access tokens (RFC 9068 §2.1, RFC 7516, nested JWTs per RFC 7519 §5.2): a JWE
 * whose payload is the signed access token. The JWE is decrypted with one of `keys` (never a key
 * named by the token: `jku`, `jwk`, `x5u` are ignored), then the inner JWS is verified as any
 * access token. Validated at start-up (a `TypeError` naming `encryptedTokens.<option>`).
 * Refused: `zip` (compression, a decompression bomb for the unauthenticated), PBES2 and RSA1_5,
 * a `cty` other than `JWT` (or `at+jwt`). Every failure is 401 `invalid_token`; the plaintext is never logged.
 *
 * One private-key operation per token at most: the key is chosen by `alg` and `kid` before any
 * decryption. When several keys share an `alg`, each needs a distinct `kid` (a start-up
 * `TypeError` otherwise) and a token naming no `kid` is refused (`ERR_JWE_KEY_AMBIGUOUS`)
 * rather than tried against each key: an unauthenticated sender would otherwise buy one
 * private-key operation per configured key with one junk token.
 */
export interface EncryptedTokenOptions {
  /** The private keys (at least one). */
  keys: DecryptionKey[];
  /** Refuse access tokens that are not encrypted (plain JWS, `ERR_JWE_REQUIRED`). Default false. */
  required?: boolean;
  /** Accepted `enc` values. Default {@link JWE_CONTENT_ALGORITHMS}. */
  contentAlgorithms?: string[];
}

interface ResolvedKey {
  key: PlatformKey;
  alg: string;
  kid: string | undefined;
}

/** `encryptedTokens` after validation. */
export interface ResolvedEncryptedTokens {
  keys: readonly ResolvedKey[];
  required: boolean;
  contentAlgorithms: readonly string[];
}

function readKey(value: unknown, where: string): ResolvedKey {
  assertObject(value, where);
  const entry = (value ?? {}) as Record<string, unknown>;
  assertKnownKeys(entry, ['key', 'alg', 'kid'], where);
  const { alg, kid, key } = entry;
  if (typeof alg !== 'string' || !JWE_KEY_ALGORITHMS.includes(alg)) {
    throw new TypeError(`resource-guard: "${where}.alg" must be one of ${JWE_KEY_ALGORITHMS.join(', ')}`);
  }
  if (kid !== undefined) assertNonEmptyString(kid, `${where}.kid`);
  if (!supportsPrivateKeys) throw new TypeError(`resource-guard: "${where}" needs node:crypto (not available with the WebCrypto backend)`);
  let keyObject: { key: unknown; type: string };
  try {
    keyObject = importPrivateKey(key, true);
  } catch (error) {
    throw new TypeError(`resource-guard: "${where}.key" must be a private KeyObject, a private JWK or secret bytes`, { cause: error });
  }
  if (keyObject.type !== (alg === 'dir' ? 'secret' : 'private')) {
    throw new TypeError(`resource-guard: "${where}.key" must be ${alg === 'dir' ? 'a secret key for "dir"' : 'a private key'}`);
  }
  return { key: keyObject.key as PlatformKey, alg, kid: kid as string | undefined };
}

/** Validates `encryptedTokens`; `undefined` when not configured. */
export function resolveEncryptedTokens(value: unknown): ResolvedEncryptedTokens | undefined {
  if (value === undefined) return undefined;
  assertObject(value, 'encryptedTokens');
  const options = value as Record<string, unknown>;
  assertKnownKeys(options, ['keys', 'required', 'contentAlgorithms'], 'encryptedTokens');
  if (!Array.isArray(options.keys) || options.keys.length === 0) {
    throw new TypeError('resource-guard: "encryptedTokens.keys" must be a non-empty array of { key, alg, kid? }');
  }
  const contentAlgorithms = options.contentAlgorithms === undefined
    ? JWE_CONTENT_ALGORITHMS
    : toStringList(options.contentAlgorithms, 'encryptedTokens.contentAlgorithms');
  for (const enc of contentAlgorithms) {
    if (!JWE_CONTENT_ALGORITHMS.includes(enc)) {
      throw new TypeError(`resource-guard: "encryptedTokens.contentAlgorithms" contains unsupported "${enc}"`);
    }
  }
  const keys = options.keys.map((key, index) => readKey(key, `encryptedTokens.keys[${index}]`));
  assertOneKeyPerToken(keys);
  return {
    keys: Object.freeze(keys),
    required: readBoolean(options.required, 'encryptedTokens.required', false),
    contentAlgorithms: Object.freeze([...contentAlgorithms]),
  };
}

/** Keys sharing an `alg` carry distinct `kid`s, so a token's `alg` and `kid` name one key at most. */
function assertOneKeyPerToken(keys: readonly ResolvedKey[]): void {
  keys.forEach((key, index) => {
    const clash = keys.findIndex((other, at) => at !== index && other.alg === key.alg && (key.kid === undefined || other.kid === key.kid));
    if (clash < 0) return;
    throw new TypeError(`resource-guard: "encryptedTokens.keys[${index}]" and "encryptedTokens.keys[${clash}]" share alg "${key.alg}"`
      + ' and cannot be told apart: give each a distinct "kid" (a token is decrypted with the one key its alg and kid name)');
  });
}

/**
 * The one key that may decrypt a token with this header: the key of its `alg` when there is one
 * (whatever `kid` the token names, unless the key has another), the key whose `kid` it names
 * when several share the `alg`. `undefined` when none fits.
 */
function selectDecryptionKey(keys: readonly ResolvedKey[], alg: string, kid: unknown): ResolvedKey | undefined {
  const sameAlg = keys.filter((key) => key.alg === alg);
  if (sameAlg.length === 1) {
    const [key] = sameAlg;
    return kid === undefined || key!.kid === undefined || key!.kid === kid ? key : undefined;
  }
  if (kid === undefined) {
    throw new InvalidTokenError('Encrypted token names no key', 'ERR_JWE_KEY_AMBIGUOUS', {
      detail: `the token has no "kid" and ${sameAlg.length} keys of encryptedTokens.keys have alg ${quoteValue(alg)}: `
        + 'a token is decrypted with one key only, the one its kid names (the authorization server must send kid)',
    });
  }
  return sameAlg.find((key) => key.kid === kid);
}

const JWE_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The `jwe` token format: five segments with a JSON protected header (RFC 7516 §7.1). Header
 * checks before any decryption; then the one configured key for that `alg` and `kid` decrypts it
 * (no key is tried after another); then `verifyInner` judges the decrypted JWS as an access token.
 */
export function createJweFormat(
  settings: ResolvedEncryptedTokens,
  verifyInner: (jws: string, compact: boolean) => MaybePromise<Claims>,
): TokenFormat<Readonly<Record<string, unknown>>> {
  const algorithms = [...new Set(settings.keys.map((key) => key.alg))];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    name: 'jwt',
    classify(token) {
      if (!JWE_COMPACT.test(token)) return undefined;
      const header = decodeJsonSegment(token.slice(0, token.indexOf('.')));
      if (header === undefined || typeof header.alg !== 'string' || typeof header.enc !== 'string') {
        throw new InvalidTokenError('Malformed encrypted token', 'ERR_JWE_MALFORMED');
      }
      if (header.zip !== undefined) {
        throw new InvalidTokenError('Compressed encrypted tokens are not accepted', 'ERR_JWE_ZIP_UNSUPPORTED', { detail: `zip ${quoteValue(header.zip)}: compressed tokens are refused (RFC 8725 §3.6)` });
      }
      if (!algorithms.includes(header.alg)) {
        throw new InvalidTokenError('Encryption algorithm not allowed', 'ERR_JWE_ALG_NOT_ALLOWED', {
          detail: `JWE alg ${quoteValue(header.alg)} is not the alg of any key in encryptedTokens.keys: ${quoteList(algorithms)}`,
        });
      }
      if (!settings.contentAlgorithms.includes(header.enc)) {
        throw new InvalidTokenError('Content encryption not allowed', 'ERR_JWE_ENC_NOT_ALLOWED', {
          detail: `JWE enc ${quoteValue(header.enc)} is not one of encryptedTokens.contentAlgorithms: ${quoteList(settings.contentAlgorithms)}`,
        });
      }
      // RFC 7519 §5.2: a nested JWT says so with cty "JWT"; some servers (oidc-provider) name the
      // inner media type, "at+jwt". Compared case-insensitively, `application/` optional (RFC 7515 §4.1.10).
      if (typeof header.cty !== 'string' || !/^(application\/)?(at\+)?jwt$/i.test(header.cty)) {
        throw new InvalidTokenError('Encrypted token does not contain a JWT', 'ERR_JWE_CTY_INVALID', { detail: `JWE cty ${quoteValue(header.cty)}, expected "JWT" (or "at+jwt")` });
      }
      return header;
    },
    async verify(token, header) {
      const { kid } = header;
      const key = selectDecryptionKey(settings.keys, header.alg as string, kid);
      let plaintext: Uint8Array | undefined;
      if (key !== undefined) {
        try {
          ({ plaintext } = await compactDecrypt(token, key.key, {
            keyManagementAlgorithms: [key.alg],
            contentEncryptionAlgorithms: [...settings.contentAlgorithms],
          }));
        } catch {
          // The failure below; jose's error can name header values, so it is dropped.
        }
      }
      if (plaintext === undefined) {
        throw new InvalidTokenError('Encrypted token could not be decrypted', 'ERR_JWE_DECRYPTION_FAILED', {
          detail: key === undefined
            ? `no key of encryptedTokens.keys has alg ${quoteValue(header.alg)}${kid === undefined ? '' : ` and kid ${quoteValue(kid)}`}`
            : `the key of encryptedTokens.keys for alg ${quoteValue(header.alg)}${key.kid === undefined ? '' : ` and kid ${quoteValue(key.kid)}`} does not decrypt it`,
        });
      }
      let inner: string;
      let compact: boolean;
      try {
        // The fatal decoder refuses invalid UTF-8 (RFC 7516 §5.2: the plaintext is UTF-8).
        inner = decoder.decode(plaintext);
        compact = checkTokenSyntax(inner);
      } catch {
        throw new InvalidTokenError('Encrypted token does not contain a JWT', 'ERR_JWE_CTY_INVALID');
      }
      // Whatever the inner token's checks say about its header and claims stays out of the logs.
      const sources = inner.split('.', 2).map((segment) => decodeJsonSegment(segment));
      try {
        return markDecrypted(await verifyInner(inner, compact));
      } catch (error) {
        throw redactDecrypted(error, sources);
      }
    },
  };
}
