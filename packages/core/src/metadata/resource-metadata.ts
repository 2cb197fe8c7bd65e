import { SignJWT } from 'jose';
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

/** How one guard builds its metadata document, kept by the guard (see `guard-brand.ts`). */
export interface ResourceMetadataSource {
  readonly settings: ResolvedResourceMetadata;
  /** The metadata URL (RFC 9728 §3.1), as put into `resource_metadata="…"`. */
  readonly url: string;
  /** The document once asked for: signed at most once, retried after a failed signing. */
  document: Promise<ProtectedResourceMetadata> | undefined;
  build(): Promise<ProtectedResourceMetadata>;
}

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
 * How a guard builds its metadata document; called by `createGuard` when `resourceMetadata` is
 * configured. The guard keeps it (its `url` goes into the challenges).
 */
export function createResourceMetadataSource(settings: ResolvedResourceMetadata, facts: GuardMetadataFacts): ResourceMetadataSource {
  const unsigned = unsignedDocument(settings, facts);
  const source: ResourceMetadataSource = {
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
  return source;
}
