import { SignJWT } from 'jose';
import { encodeUtf8 } from '#crypto-backend';
import type { Guard } from '../guard.js';
import type { TokenLocation } from '../options/guard-options.js';
import { metadataUrlOf, type ResolvedResourceMetadata } from './options.js';

/** The RFC 9728 §2 document a guard publishes. Members without a value are absent, never `null` or `[]`. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  bearer_methods_supported?: TokenLocation[];
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  tls_client_certificate_bound_access_tokens?: boolean;
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  jwks_uri?: string;
  /** RFC 9728 §2.2: the other members as a JWT signed by the configured key. */
  signed_metadata?: string;
}

/** What the guard's own settings decide about the document. */
export interface GuardMetadataFacts {
  issuers: readonly string[];
  tokenLocations: ReadonlySet<TokenLocation>;
  dpopAlgorithms: readonly string[] | undefined;
  dpopRequired: boolean;
  mtlsEnabled: boolean;
}

interface MetadataSource {
  settings: ResolvedResourceMetadata;
  url: string;
  document: Promise<ProtectedResourceMetadata> | undefined;
  build(): Promise<ProtectedResourceMetadata>;
}

const sources = new WeakMap<Guard, MetadataSource>();

function unsignedDocument(settings: ResolvedResourceMetadata, facts: GuardMetadataFacts): ProtectedResourceMetadata {
  const document: Record<string, unknown> = {
    resource: settings.resource,
    authorization_servers: [...facts.issuers],
    // RFC 9728 §2 uses the same names as `tokenLocations` (RFC 6750 §2.1-2.3).
    bearer_methods_supported: [...facts.tokenLocations],
    dpop_signing_alg_values_supported: facts.dpopAlgorithms === undefined ? undefined : [...facts.dpopAlgorithms],
    dpop_bound_access_tokens_required: facts.dpopRequired,
    tls_client_certificate_bound_access_tokens: facts.mtlsEnabled,
    scopes_supported: settings.scopesSupported === undefined ? undefined : [...settings.scopesSupported],
    resource_name: settings.resourceName,
    resource_documentation: settings.resourceDocumentation,
    jwks_uri: settings.jwksUri,
  };
  for (const [name, value] of Object.entries(document)) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) delete document[name];
  }
  return document as unknown as ProtectedResourceMetadata;
}

/**
 * Remembers how `guard` builds its metadata document; called by `createGuard` when
 * `resourceMetadata` is configured. Returns the metadata URL for the challenges.
 */
export function registerResourceMetadata(guard: Guard, settings: ResolvedResourceMetadata, facts: GuardMetadataFacts): string {
  const unsigned = unsignedDocument(settings, facts);
  const source: MetadataSource = {
    settings,
    url: metadataUrlOf(settings.resource).href,
    document: undefined,
    async build() {
      const key = settings.signingKey;
      if (key === undefined) return unsigned;
      const signed = await new SignJWT({ ...unsigned })
        .setProtectedHeader({ alg: key.alg, typ: 'JWT', ...(key.kid === undefined ? {} : { kid: key.kid }) })
        .setIssuer(key.issuer)
        .setIssuedAt(Math.floor(Date.now() / 1000))
        .sign(key.key);
      return { ...unsigned, signed_metadata: signed };
    },
  };
  sources.set(guard, source);
  return source.url;
}

function sourceOf(guard: Guard): MetadataSource {
  const source = sources.get(guard);
  if (source === undefined) {
    throw new TypeError('resource-guard: this guard has no "resourceMetadata" option (RFC 9728 protected resource metadata)');
  }
  return source;
}

/**
 * The RFC 9728 protected resource metadata of `guard` (created with the `resourceMetadata`
 * option; a `TypeError` otherwise). Built from the guard's settings; `signed_metadata` (§2.2) is
 * signed once, on first use, and the same document served after that (a failed signing is
 * retried on the next call). For adapters other than Express and Koa, see
 * `createResourceMetadataEndpoint` in `@resource-guard/core/adapter`.
 */
export function buildProtectedResourceMetadata(guard: Guard): Promise<ProtectedResourceMetadata> {
  const source = sourceOf(guard);
  if (source.document === undefined) {
    const pending = source.build();
    source.document = pending;
    pending.catch(() => {
      if (source.document === pending) source.document = undefined;
    });
  }
  return source.document;
}

/** A framework-neutral answer of the metadata endpoint. */
export interface MetadataResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text; `undefined` for HEAD, 405 and 500. */
  body: string | undefined;
}

/** The metadata endpoint of one guard, for adapters: which paths it serves and what it answers. */
export interface ResourceMetadataEndpoint {
  /** The metadata URL (RFC 9728 §3.1), as put into `resource_metadata="…"`. */
  readonly url: string;
  /** Request paths served: `/.well-known/oauth-protected-resource`, plus the path-suffixed form when `resource` has a path. */
  readonly paths: readonly string[];
  /** Whether a request path (no query) is one of {@link paths}. */
  matches(path: string): boolean;
  /** The answer for `method`: 200 for GET and HEAD, 405 with `Allow` otherwise; never needs a token. */
  respond(method: string): Promise<MetadataResponse>;
}

/**
 * The RFC 9728 metadata endpoint of `guard`: GET and HEAD only (405 with `Allow: GET, HEAD`),
 * `application/json`, `Cache-Control: public, max-age=<cacheMaxAge>` and
 * `Access-Control-Allow-Origin: *` (the document is public, and browser clients discover it).
 * A failure to sign `signed_metadata` is a 500, logged by the host framework; not cached.
 */
export function createResourceMetadataEndpoint(guard: Guard): ResourceMetadataEndpoint {
  const source = sourceOf(guard);
  const path = new URL(source.url).pathname;
  const paths = Object.freeze([...new Set(['/.well-known/oauth-protected-resource', path])]);
  const base = { 'Access-Control-Allow-Origin': '*' };
  return {
    url: source.url,
    paths,
    matches: (requestPath) => paths.includes(requestPath),
    async respond(method) {
      if (method !== 'GET' && method !== 'HEAD') {
        return { status: 405, headers: { ...base, Allow: 'GET, HEAD' }, body: undefined };
      }
      const body = JSON.stringify(await buildProtectedResourceMetadata(guard));
      return {
        status: 200,
        headers: {
          ...base,
          'Content-Type': 'application/json',
          'Content-Length': String(encodeUtf8(body).byteLength),
          'Cache-Control': `public, max-age=${source.settings.cacheMaxAge}`,
        },
        body: method === 'HEAD' ? undefined : body,
      };
    },
  };
}
