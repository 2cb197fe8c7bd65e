/**
 * Telemetry under attack: requests with random schemes, random tokens, and validly signed JWTs
 * carrying random issuers, `kid`s, algorithms, subjects and claim values, through a guard with
 * the OpenTelemetry SDK (in-memory metrics and spans) and a `node:diagnostics_channel`
 * subscriber. Invariants over everything recorded: no token, claim value, subject or secret in
 * any attribute, span name, status or event; and every attribute value is one of a set fixed by
 * the configuration, so the number of series cannot grow with what attackers send.
 */
import diagnostics from 'node:diagnostics_channel';
import test from 'ava';
import fc from 'fast-check';
import {
  GUARD_ERROR_CODES, TELEMETRY_ATTRIBUTES as A, TELEMETRY_CHANNELS, createGuard, type GuardRequest,
} from '@resource-guard/core';
import { clientKey, signProof } from '../helpers/dpop.js';
import { fuzzParameters } from '../helpers/fuzz.js';
import { AUDIENCE, keySigner, rawJws, startMockIssuer } from '../helpers/issuer.js';
import { captureTelemetry } from '../helpers/telemetry.js';

test('fuzz: no secret and no attacker-chosen value in any metric, span or channel event', async (t) => {
  const issuer = await startMockIssuer('ES256');
  const capture = captureTelemetry();
  const events: unknown[] = [];
  const listener = (message: unknown) => events.push(message);
  for (const name of Object.values(TELEMETRY_CHANNELS)) diagnostics.subscribe(name, listener);
  const guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, verifiedTokenCache: true, tokenLocations: ['header', 'query'],
    telemetry: { meterProvider: capture.meterProvider, tracerProvider: capture.tracerProvider }, logger: { warn() {}, error() {} },
  });
  const secrets = new Set<string>();
  const key = issuer.published[0]!;
  const dpopKey = await clientKey();
  // Long enough to be unmistakable: `tag` is the attacker-chosen part of every value.
  const tag = fc.stringMatching(/^[A-Za-z0-9_-]{10,24}$/).map((value) => `zq${value}`);
  const jwt = fc.record({
    iss: fc.oneof(fc.constant(issuer.issuer), tag.map((value) => `https://${value}.example/`)),
    kid: fc.oneof(fc.constant(key.kid), tag),
    alg: fc.constantFrom('ES256', 'RS256', 'HS256', 'none', 'zqALG-made-up'),
    sub: tag,
    scope: tag,
    code: tag,
    exp: fc.constantFrom(1, Math.floor(Date.now() / 1000) + 600),
  }).map((claims) => {
    for (const value of [claims.sub, claims.scope, claims.code, claims.kid, claims.iss]) if (value !== key.kid && value !== issuer.issuer) secrets.add(value);
    const header = { alg: claims.alg === 'ES256' ? 'ES256' : claims.alg, kid: claims.kid, typ: 'at+jwt' };
    const payload = { ...issuer.claims({ iss: claims.iss, sub: claims.sub, scope: claims.scope, exp: claims.exp }), error: claims.code };
    return rawJws(header, payload, claims.alg === 'none' ? 'none' : keySigner(key));
  });
  const token = fc.oneof(jwt, tag, fc.string({ maxLength: 40 }));
  const scheme = fc.constantFrom('Bearer', 'DPoP', 'bearer', 'Basic', 'zqScheme');
  const request = fc.record({ scheme, token, where: fc.constantFrom('header', 'query', 'both'), proof: fc.boolean() });
  try {
    await fc.assert(fc.asyncProperty(request, async (spec) => {
      secrets.add(spec.token);
      const headers: Record<string, string> = {};
      let url = 'https://api.example.test/orders';
      if (spec.where !== 'query') headers.authorization = `${spec.scheme} ${spec.token}`;
      if (spec.where !== 'header') url += `?access_token=${encodeURIComponent(spec.token)}`;
      if (spec.proof) {
        const proof = await signProof(dpopKey, spec.token, url);
        secrets.add(proof);
        headers.dpop = proof;
      }
      await guard.verify({ method: 'GET', url, headers } satisfies GuardRequest).catch(() => undefined);
    }), fuzzParameters(400));

    const points = await capture.metrics();
    const spans = capture.spans();
    const recorded = JSON.stringify([points, spans.map((span) => [span.name, span.attributes, span.status, span.events]), events]);
    for (const secret of secrets) {
      if (secret.length >= 12) t.false(recorded.includes(secret), `a request value reached telemetry: ${secret.slice(0, 20)}…`);
    }
    t.false(recorded.includes('zq'), 'no attacker-tagged value anywhere');

    // Every attribute value comes from a closed set fixed by the configuration.
    const allowed: Record<string, ReadonlySet<unknown>> = {
      [A.result]: new Set(['success', 'failure', 'none']),
      [A.scheme]: new Set(['Bearer', 'DPoP']),
      [A.format]: new Set(['jwt', 'opaque', 'jwe']),
      [A.issuer]: new Set([issuer.issuer]),
      [A.errorType]: new Set([...GUARD_ERROR_CODES, '_OTHER']),
      [A.operation]: new Set(['jwks']),
      [A.outcome]: new Set(['success', 'http_error', 'timeout', 'network_error', 'response_error']),
      [A.statusClass]: new Set(['2xx', '3xx', '4xx', '5xx']),
      [A.statusCode]: new Set([200]),
      [A.method]: new Set(['GET']),
      [A.serverAddress]: new Set(['127.0.0.1']),
      [A.serverPort]: new Set([Number(new URL(issuer.jwksUri).port)]),
      [A.cache]: new Set(['verified_token']),
      [A.cacheResult]: new Set(['hit', 'miss', 'join']),
      [A.refetchResult]: new Set(['fetched', 'joined', 'cooldown']),
      [A.dpopReason]: new Set(['replay', 'use_nonce', 'quota_exceeded']),
    };
    const attributeSets = [...points.map((point) => point.attributes), ...spans.map((span) => span.attributes), ...events as Array<Record<string, unknown>>];
    const series = new Set<string>();
    for (const attributes of attributeSets) {
      for (const [name, value] of Object.entries(attributes)) {
        if (name === 'duration') continue;
        t.true(allowed[name]?.has(value) === true, `${name} = ${String(value)} is not from the configured set`);
      }
    }
    for (const point of points) series.add(`${point.name} ${JSON.stringify(point.attributes)}`);
    const spanNames = new Set(spans.map((span) => span.name));
    t.deepEqual([...spanNames].filter((name) => !['resource-guard authenticate', 'resource-guard jwks'].includes(name)), []);
    t.true(secrets.size > 200, 'the corpus was varied');
    t.log(`${secrets.size} distinct request values, ${series.size} series`);
    t.true(series.size < 200, 'series bounded by the configuration, not by the traffic');
  } finally {
    for (const name of Object.values(TELEMETRY_CHANNELS)) diagnostics.unsubscribe(name, listener);
    await capture.shutdown();
    await issuer.close();
  }
});
