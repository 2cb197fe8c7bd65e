/**
 * The crypto backend seam. Every cryptographic primitive and every byte/text conversion the core
 * needs goes through the module `#crypto-backend`, which `package.json` `imports` resolves per
 * runtime: the `node` condition (Node, Deno, Bun) gets `node-backend.ts` (`node:crypto` with
 * prepared `KeyObject`s and a synchronous `crypto.verify`), every other runtime (the `worker`,
 * `workerd`, `browser`, `edge-light` conditions and the `default`) gets `web-backend.ts`
 * (WebCrypto, no `node:` module). The custom condition `resource-guard-webcrypto` picks the web
 * backend on Node too (`node --conditions=resource-guard-webcrypto`), which is how the test suite
 * runs the HTTP case table on both.
 *
 * Both modules export exactly the members of {@link CryptoBackend} (a type test holds them to it).
 * This file holds types only, so importing it reaches no runtime module.
 */

/** What a signature algorithm needs of the backend (RFC 7518 §3). */
export interface SignatureSpec {
  /** Hash function, `null` for EdDSA. */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  keyType: 'rsa' | 'ec' | 'okp' | 'oct';
  /** The one curve an EC algorithm takes. */
  curve?: string;
  /** RSASSA-PSS rather than PKCS #1 v1.5. */
  pss?: boolean;
}

/**
 * A prepared verification key: a `KeyObject` on Node, the JWK and its lazily imported
 * `CryptoKey`s with WebCrypto. Opaque to the core.
 */
export type BackendKey = object & { readonly __backendKey?: never };

/** The public JWK members a key is imported from (`kid`, `alg`, `use`, ... already removed). */
export type PublicJwkMaterial = Record<string, unknown>;

/** The runtime-specific half of the core: see the module comment. */
export interface CryptoBackend {
  /** `'node'` or `'webcrypto'`. */
  readonly backendName: 'node' | 'webcrypto';
  /**
   * Whether {@link CryptoBackend.verifySignatureSync} works. WebCrypto only verifies
   * asynchronously, so with it the guard takes the asynchronous (`offloadSignatures`) path.
   */
  readonly verifiesSynchronously: boolean;
  /** Whether private `KeyObject`s / JWKs can be loaded (JWE decryption, signed metadata). */
  readonly supportsPrivateKeys: boolean;
  /**
   * Imports public key material of type `keyType`; `undefined` when it is not a usable key.
   * `rsaMinBits` is checked on the key when the backend can read it (the JWK's `n` is checked
   * before, on every backend).
   */
  importPublicKey(material: PublicJwkMaterial, keyType: 'rsa' | 'ec' | 'okp'): BackendKey | undefined;
  /** An HMAC secret (bytes already validated). */
  importSecretKey(bytes: Uint8Array): BackendKey;
  /**
   * Loads a private key (or, with `allowSecret`, secret bytes) for JWE decryption or metadata
   * signing; throws when it is none. `type` says which it turned out to be.
   */
  importPrivateKey(key: unknown, allowSecret: boolean): { key: unknown; type: string };
  /** Verifies `signature` over the ASCII `signingInput`; false (never throws) when it does not hold. */
  verifySignatureSync(spec: SignatureSpec, signingInput: string, signature: Uint8Array, key: BackendKey): boolean;
  /**
   * Whether a verification starting now should run in place rather than on the thread pool, for
   * `offloadSignatures: 'auto'`: Node answers from how many verifications overlap (see
   * `node-backend.ts`); WebCrypto always says no (it has no in-place check).
   */
  mayVerifyInline(): boolean;
  /** {@link CryptoBackend.verifySignatureSync} resolved asynchronously (Node: on libuv's thread pool). */
  verifySignatureAsync(spec: SignatureSpec, signingInput: string, signature: Uint8Array, key: BackendKey): Promise<boolean>;
  /** SHA-256 of `data` (a string hashed as UTF-8), base64url without padding or as a binary (latin1) string. */
  sha256(data: string | Uint8Array, encoding: 'base64url' | 'binary'): string;
  /** base64url (no padding) of HMAC-SHA-256(key, UTF-8 `data`). */
  hmacSha256Base64Url(key: Uint8Array, data: string): string;
  /** `size` cryptographically random bytes. */
  randomBytes(size: number): Uint8Array;
  /**
   * AES-256-GCM encryption of the UTF-8 `plaintext` under the 32-byte `key`, with `aad` as
   * additional authenticated data and a fresh random 96-bit IV: base64url(IV ‖ ciphertext ‖ tag).
   * For values a shared store keeps at rest (exchanged tokens).
   */
  sealAesGcm(key: Uint8Array, plaintext: string, aad: string): Promise<string>;
  /** The plaintext of a {@link CryptoBackend.sealAesGcm} result; `undefined` when it does not authenticate (wrong key, wrong `aad`, tampered). */
  openAesGcm(key: Uint8Array, sealed: string, aad: string): Promise<string | undefined>;
  /** Constant-time comparison of two byte strings of the same length. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /** Decodes base64 or base64url (either alphabet, padding optional, trailing bits ignored). */
  decodeBase64(text: string): Uint8Array;
  /** base64 (with padding) of the UTF-8 bytes of `text`. */
  encodeBase64(text: string): string;
  /** base64url (no padding) of `bytes` (a compact JWE's segments). */
  encodeBase64Url(bytes: Uint8Array): string;
  /** The UTF-8 bytes of `text`. */
  encodeUtf8(text: string): Uint8Array;
  /** The text of strict UTF-8 `bytes`; `undefined` for invalid UTF-8. */
  decodeUtf8(bytes: Uint8Array): string | undefined;
  /** The text of a base64url segment when it is strict UTF-8 (a JWS header or payload), else `undefined`. */
  decodeBase64UrlText(segment: string): string | undefined;
  /**
   * The DER bytes of `der` when it is an X.509 certificate; `undefined` otherwise. Node parses it
   * (`X509Certificate`); WebCrypto has no X.509 parser, so the web backend checks the DER
   * structure (a SEQUENCE of the to-be-signed SEQUENCE, the algorithm SEQUENCE and the signature
   * BIT STRING, with exact lengths). Neither validates the chain, dates or issuer.
   */
  certificateDer(der: Uint8Array): Uint8Array | undefined;
}
