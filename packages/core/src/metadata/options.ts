import type { PlatformKey } from '../crypto/key-types.js';
import { readSigningKey as readPrivateSigningKey, type PrivateKeyInput } from '../jws/signing-key.js';
import {
  assertKnownKeys, assertNonEmptyString, assertObject, parseServerUrl, readNumber, toStringList,
} from '../options/validate.js';

/**
 * The key that signs the `signed_metadata` member of the protected resource metadata
 * (RFC 9728 §2.2). Asymmetric only: the document is public, so a shared secret would be too.
 */
export interface MetadataSigningKey {
  /** The private key: a `KeyObject` or a private JWK. */
  key: PrivateKeyInput;
  /** JWS algorithm, e.g. `ES256`, `PS256`, `EdDSA`; checked against the key at start-up. */
  alg: string;
  /** `kid` header, so verifiers can pick the key from `jwks_uri`. Default: the JWK's `kid`, else none. */
  kid?: string;
  /** `iss` of the signed metadata: the party attesting to it. Default: `resource`. */
  issuer?: string;
}

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): what this resource publishes at
 * `/.well-known/oauth-protected-resource`, and the `resource_metadata` parameter of every
 * `WWW-Authenticate` challenge (§5.1). Every member that the guard's own settings decide
 * (`authorization_servers`, `bearer_methods_supported`, the DPoP and mTLS members) is derived
 * from them and cannot be set here, so the document cannot drift from what the guard accepts.
 * Validated at start-up (a `TypeError` naming `resourceMetadata.<option>`).
 */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier (RFC 9728 §2 `resource`, RFC 8707): an https URL (http only on
   * loopback or with `allowInsecureRequests`) without query or fragment. It must be one of the
   * guard's `audience` values, so tokens are checked against exactly the identifier published.
   */
  resource: string;
  /** `scopes_supported`: the scopes this resource understands. Default none (member omitted). */
  scopesSupported?: string[];
  /** `resource_name`: a human-readable name. Default none. */
  resourceName?: string;
  /** `resource_documentation`: URL of documentation for developers. Default none. */
  resourceDocumentation?: string;
  /** `jwks_uri`: URL of this resource's own public keys (e.g. to verify `signed_metadata`). Default none. */
  jwksUri?: string;
  /** Adds `signed_metadata` (RFC 9728 §2.2), signed with this key. Default none. */
  signingKey?: MetadataSigningKey;
  /** `Cache-Control: public, max-age=<seconds>` of the metadata response. Default 3600. */
  cacheMaxAge?: number;
}

/** `resourceMetadata` after validation. */
export interface ResolvedResourceMetadata {
  resource: string;
  scopesSupported: readonly string[] | undefined;
  resourceName: string | undefined;
  resourceDocumentation: string | undefined;
  jwksUri: string | undefined;
  signingKey: { key: PlatformKey; alg: string; kid: string | undefined; issuer: string } | undefined;
  cacheMaxAge: number;
}

const KNOWN = ['resource', 'scopesSupported', 'resourceName', 'resourceDocumentation', 'jwksUri', 'signingKey', 'cacheMaxAge'] as const;
const KNOWN_KEY = ['key', 'alg', 'kid', 'issuer'] as const;

function readSigningKey(value: unknown, resource: string): ResolvedResourceMetadata['signingKey'] {
  if (value === undefined) return undefined;
  assertObject(value, 'resourceMetadata.signingKey');
  assertKnownKeys(value!, KNOWN_KEY, 'resourceMetadata.signingKey');
  const { key, alg, kid, issuer } = value as Partial<MetadataSigningKey>;
  const signing = readPrivateSigningKey(key, alg, kid, 'resourceMetadata.signingKey');
  if (issuer !== undefined) assertNonEmptyString(issuer, 'resourceMetadata.signingKey.issuer');
  return { ...signing, issuer: issuer ?? resource };
}

/** Validates `resourceMetadata` against the guard's audiences; `undefined` when not configured. */
export function resolveResourceMetadata(
  value: unknown, audiences: ReadonlySet<string>, allowInsecure: boolean,
): ResolvedResourceMetadata | undefined {
  if (value === undefined) return undefined;
  assertObject(value, 'resourceMetadata');
  const options = value as Record<string, unknown>;
  assertKnownKeys(options, KNOWN, 'resourceMetadata');
  const url = parseServerUrl(options.resource, 'resourceMetadata.resource', allowInsecure);
  if (url.search !== '' || url.hash !== '' || (options.resource as string).includes('#')) {
    throw new TypeError('resource-guard: "resourceMetadata.resource" must have no query and no fragment (RFC 9728 §2)');
  }
  const resource = options.resource as string;
  if (!audiences.has(resource)) {
    throw new TypeError('resource-guard: "resourceMetadata.resource" must be one of "audience" (tokens are checked against it)');
  }
  const optionalString = (name: 'resourceName') => {
    if (options[name] !== undefined) assertNonEmptyString(options[name], `resourceMetadata.${name}`);
    return options[name] as string | undefined;
  };
  const optionalUrl = (name: 'resourceDocumentation' | 'jwksUri') => (
    options[name] === undefined ? undefined : parseServerUrl(options[name], `resourceMetadata.${name}`, allowInsecure).href
  );
  return {
    resource,
    scopesSupported: options.scopesSupported === undefined
      ? undefined : Object.freeze(toStringList(options.scopesSupported, 'resourceMetadata.scopesSupported')),
    resourceName: optionalString('resourceName'),
    resourceDocumentation: optionalUrl('resourceDocumentation'),
    jwksUri: optionalUrl('jwksUri'),
    signingKey: readSigningKey(options.signingKey, resource),
    cacheMaxAge: Math.floor(readNumber(options.cacheMaxAge, 'resourceMetadata.cacheMaxAge', 3600)),
  };
}

/**
 * The metadata URL of `resource` (RFC 9728 §3.1): `/.well-known/oauth-protected-resource`
 * inserted between the host and the path, a terminating `/` of the path removed.
 */
export function metadataUrlOf(resource: string): URL {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return new URL(`${url.origin}/.well-known/oauth-protected-resource${path}`);
}
