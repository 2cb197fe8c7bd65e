/**
 * A local token issuer for the algorithms the dev authorization server does not sign access
 * tokens with: a loopback HTTP server publishing a JWKS with an ES256, an RS256 and an Ed25519
 * key, and a signer of RFC 9068 access tokens (`typ: at+jwt`) with any of them.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

/** Starts it on a random loopback port: `{ issuer, jwksUri, sign(alg, claims?), close() }`. */
export async function startLocalIssuer() {
  const keys = {};
  for (const alg of ['ES256', 'RS256', 'EdDSA']) {
    const pair = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
    keys[alg] = { privateKey: pair.privateKey, jwk: { ...await exportJWK(pair.publicKey), kid: `local-${alg}`, alg, use: 'sig' } };
  }
  const jwks = JSON.stringify({ keys: Object.values(keys).map((key) => key.jwk) });
  const server = createServer((request, response) => {
    if (request.url !== '/jwks') return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    /** A token for `audience` signed with `alg`'s key; `claims` override the defaults (e.g. `exp`). */
    sign(alg, audience, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ client_id: 'runtime-driver', scope: 'orders:read', iat: now, exp: now + 300, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg, kid: `local-${alg}`, typ: 'at+jwt' })
        .setIssuer(issuer).setAudience(audience).setSubject(`local-${alg}`)
        .sign(keys[alg].privateKey);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
