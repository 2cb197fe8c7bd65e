/** The runtime exports of each entry point: applications see the guard, errors, requirements and stores; adapters get a kit of their own. */
import test from 'ava';

const KIT = [
  'GUARD_KEY', 'NodeRequestView', 'assertKnownKeys', 'assertNonEmptyString', 'assertObject', 'attachBearerChallenge', 'authorizeRequirement',
  'buildRequestUrl', 'checkHost', 'checkTarget', 'createErrorResponder', 'createIntrospectionClient', 'createRequirementMiddlewares',
  'createResourceMetadataEndpoint', 'fetchUpstream', 'formEncode', 'isGuard', 'isStore', 'openDirectJwe', 'parseServerUrl', 'quoteParam', 'readAuthContext',
  'readBearerToken', 'readBoundedBody', 'readNumber', 'readPeerCertificate', 'resolveProtectArguments', 'runGuard', 'sealDirectJwe', 'toStringList',
];

const APPLICATION = [
  'AUTHORIZATION_DETAILS_MAX', 'AUTH_RESPONSE_HEADERS', 'CRYPTO_BACKEND', 'DEFAULT_ALGORITHMS', 'DEFAULT_DPOP_ALGORITHMS', 'DEFAULT_REQUIRED_CLAIMS', 'ERROR_CODE_CLASSES', 'GUARD_ERROR_CODES', 'GuardError',
  'InsufficientScopeError', 'InsufficientUserAuthenticationError', 'InvalidDpopProofError', 'InvalidRequestError',
  'InvalidTokenError', 'JWE_CONTENT_ALGORITHMS', 'JWE_KEY_ALGORITHMS', 'MisconfigurationError', 'MissingCredentialsError', 'SUPPORTED_ALGORITHMS', 'TELEMETRY_ATTRIBUTES', 'TELEMETRY_CHANNELS', 'TELEMETRY_METRICS', 'TELEMETRY_SPANS', 'TokenExchangeRefusedError', 'UpstreamUnavailableError',
  'UseDpopNonceError', 'accessTokenHash', 'buildProtectedResourceMetadata', 'certificateThumbprint', 'createGuard',
  'createMemoryStore', 'exposedAuthHeaders', 'isGuardError',
  'jwkThumbprint', 'requireAnyScope', 'requireAuthentication', 'requireAuthorizationDetails', 'requireClaims', 'requireScopes',
];

test('@resource-guard/core exports the application surface, not the adapter kit', async (t) => {
  // A new public name is a deliberate act: add it to APPLICATION (and the README).
  t.deepEqual(Object.keys(await import('@resource-guard/core')).sort(), APPLICATION);
});

test('@resource-guard/core/adapter exports the adapter kit', async (t) => {
  t.deepEqual(Object.keys(await import('@resource-guard/core/adapter')).sort(), KIT);
});

test('@resource-guard/core/exchange exports token exchange', async (t) => {
  t.deepEqual(Object.keys(await import('@resource-guard/core/exchange')).sort(), [
    'ACCESS_TOKEN_TYPE', 'TOKEN_EXCHANGE_GRANT', 'TokenExchangeRefusedError', 'createTokenExchange',
  ]);
});

test('the adapters export the contract names', async (t) => {
  const names = [
    'createGuard', 'exposedAuthHeaders', 'protect', 'protectedResourceMetadata', 'requireAnyScope', 'requireAuthentication',
    'requireAuthorizationDetails', 'requireClaims', 'requireScopes', 'requireThat',
  ];
  for (const adapter of ['@resource-guard/express', '@resource-guard/koa', '@resource-guard/fastify']) {
    const exported = Object.keys(await import(adapter));
    t.deepEqual(names.filter((name) => !exported.includes(name)), [], adapter);
  }
  // The fetch adapter wraps handlers (`withAuth`) instead of `protect()`.
  const fetchExports = Object.keys(await import('@resource-guard/fetch'));
  t.deepEqual(names.filter((name) => name !== 'protect' && !fetchExports.includes(name)), [], '@resource-guard/fetch');
});

test('everything an application needs comes from the adapter it installed, with the same names everywhere', async (t) => {
  const everywhere = ['createGuard', 'exposedAuthHeaders', 'AUTH_RESPONSE_HEADERS', 'readPeerCertificate', 'GuardError', 'isGuardError', 'createMemoryStore'];
  const middleware = ['protect', 'getAuth', 'requireScopes', 'requireAnyScope', 'requireClaims', 'requireAuthentication', 'requireAuthorizationDetails', 'requireThat'];
  const surfaces: Record<string, string[]> = {
    '@resource-guard/express': [...everywhere, ...middleware, 'errorHandler'],
    '@resource-guard/koa': [...everywhere, ...middleware, 'errorHandler'],
    '@resource-guard/fastify': [...everywhere, ...middleware, 'errorHandler', 'resourceGuard'],
    '@resource-guard/fetch': [...everywhere, 'withAuth', 'rejectionResponse', 'requireScopes', 'authorize'],
    '@resource-guard/fetch/hono': [...middleware, 'rejectionResponse'],
  };
  for (const [specifier, expected] of Object.entries(surfaces)) {
    const exported = Object.keys(await import(specifier));
    t.deepEqual(expected.filter((name) => !exported.includes(name)), [], specifier);
  }
});

test('@resource-guard/gateway exports the three patterns and the OAuth agent; ./express and ./koa the middleware', async (t) => {
  t.deepEqual(Object.keys(await import('@resource-guard/gateway')).sort(), [
    'GATEWAY_ERROR_CODES', 'SPLIT_TOKEN_PREFIX', 'createOAuthAgent', 'createPhantomToken', 'createSplitToken', 'createTokenHandler', 'encryptTokenCookie',
    'forwardRequest', 'isPreflight', 'maxAgeOf', 'revokeSplitToken', 'serializeTokenCookie', 'splitTokenKey', 'storeSplitToken',
  ]);
  t.deepEqual(Object.keys(await import('@resource-guard/gateway/express')).sort(), ['gateway', 'oauthAgent']);
  t.deepEqual(Object.keys(await import('@resource-guard/gateway/koa')).sort(), ['gateway', 'oauthAgent']);
});

test('@resource-guard/mcp exports the MCP integration; ./express (= the root), ./koa, ./fastify and ./fetch the same names', async (t) => {
  const shared = [
    'GuardError', 'InsufficientScopeError', 'JSON_RPC_ERRORS', 'MCP_DPOP_WINDOW', 'McpProtocolError', 'MisconfigurationError',
    'createTokenVerifier', 'isGuardError', 'mcpAuth', 'toAuthInfo',
  ];
  const root = Object.keys(await import('@resource-guard/mcp')).sort();
  t.deepEqual(root, [...shared, 'errorHandler', 'requireToolScopes'].sort());
  t.deepEqual(Object.keys(await import('@resource-guard/mcp/express')).sort(), root);
  t.deepEqual(Object.keys(await import('@resource-guard/mcp/koa')).sort(), [...shared, 'errorHandler', 'requireToolScopes'].sort());
  t.deepEqual(Object.keys(await import('@resource-guard/mcp/fastify')).sort(), [...shared, 'requireToolScopes'].sort());
  t.deepEqual(Object.keys(await import('@resource-guard/mcp/fetch')).sort(), shared);
  const members = ['authInfo', 'guard', 'metadata', 'methodNotAllowed', 'protect', 'requireToolScopes', 'resourceMetadataUrl', 'validateOrigin', 'verifier'];
  const options = { issuer: 'https://as.example.test', resource: 'https://mcp.example.test/mcp' };
  for (const entry of ['express', 'koa', 'fastify'] as const) {
    const { mcpAuth } = await import(`@resource-guard/mcp/${entry}`) as { mcpAuth(o: typeof options): object };
    t.deepEqual(Object.keys(mcpAuth(options)).sort(), members, entry);
  }
  const { mcpAuth } = await import('@resource-guard/mcp/fetch');
  t.deepEqual(Object.keys(mcpAuth(options)).sort(), members, 'fetch');
});

test('@resource-guard/http-signatures exports signatures, digests and structured fields; ./express, ./koa, ./fastify and ./fetch the same two names', async (t) => {
  t.deepEqual(Object.keys(await import('@resource-guard/http-signatures')).sort(), [
    'ByteSequence', 'DEFAULT_SIGNATURE_HEADER_LIMITS', 'Decimal', 'FAPI_ALGORITHMS', 'FAPI_REQUEST_TAG', 'FAPI_RESPONSE_TAG', 'HTTP_SIGNATURE_ERROR_CODES',
    'SIGNATURE_ALGORITHMS', 'SignatureBaseError', 'SignatureHeaderError', 'StructuredFieldError', 'Token', 'checkContentDigest', 'componentValue',
    'createContentDigest', 'createRequestSignatureVerifier', 'createRequestSigner', 'createResponseSignatureVerifier', 'createResponseSigner',
    'createSignatureBase', 'parseDictionary', 'parseItem', 'parseList', 'parseMessageSignatures', 'serializeDictionary', 'serializeList', 'serializeMember',
  ]);
  for (const entry of ['express', 'koa', 'fastify', 'fetch']) {
    t.deepEqual(Object.keys(await import(`@resource-guard/http-signatures/${entry}`)).sort(), ['signResponses', 'verifyHttpSignature'], entry);
  }
});
