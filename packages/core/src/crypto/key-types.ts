/**
 * Key types of the public options, declared here rather than imported from `node:crypto`, so
 * that the published declarations compile with any `@types/node` (25 no longer exports
 * `JsonWebKey` from `node:crypto`) and with none at all (a fetch-only project on Workers, Deno or
 * Bun). Node's `KeyObject` and JWKs from `node:crypto` or the DOM library are assignable to them.
 */

/**
 * A JSON Web Key (RFC 7517 §4, the RFC 7518 §6 members): the shape both Node's and the DOM's
 * `JsonWebKey` have. The library checks the members it needs at start-up, whatever the type says.
 */
export interface JsonWebKey {
  kty?: string;
  alg?: string;
  kid?: string;
  use?: string;
  key_ops?: string[];
  ext?: boolean;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  k?: string;
}

/**
 * A key object of the platform: Node's `KeyObject` (`crypto.createPrivateKey()`, ...), described by
 * the members the library reads, so that no `node:` type is named. Anything else with this shape
 * is refused at start-up (the crypto backend loads only real key objects).
 */
export interface PlatformKey {
  /** `'secret'`, `'public'` or `'private'`. */
  readonly type: 'secret' | 'public' | 'private';
  /** `'rsa'`, `'rsa-pss'`, `'ec'`, `'ed25519'`, ...; absent for secret keys. */
  readonly asymmetricKeyType?: string | undefined;
  /** The modulus length (RSA) or the curve (EC) of an asymmetric key. */
  readonly asymmetricKeyDetails?: { readonly modulusLength?: number | undefined; readonly namedCurve?: string | undefined } | undefined;
}
