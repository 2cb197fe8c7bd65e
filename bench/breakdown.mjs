// scratch: where the guard's ES256 time goes beyond crypto.verify
import { createPublicKey, verify } from 'node:crypto';
import { createGuard } from '@resource-guard/core';
import { parseJws, verifySignature, decodeProtectedHeader } from '../packages/core/dist/jws/jws.js';
import { createSigningKey, mintAccessToken, startAuthServer } from './dist/fixtures.js';
import { AUDIENCE } from './dist/config.js';
import { verifyJwtAccessToken } from '../packages/core/dist/jwt/verify-access-token.js';
import { TrustedIssuer, createIssuerLookup } from '../packages/core/dist/issuer/trusted-issuer.js';
import { resolveOptions } from '../packages/core/dist/options/guard-options.js';
import { freezeClaims } from '../packages/core/dist/claims/claims.js';
const alg = process.argv[2] ?? 'ES256';
const key = await createSigningKey(alg);
const server = await startAuthServer([key]);
const token = await mintAccessToken(key, server.issuer);
const guard = createGuard({ issuer: server.issuer, audience: AUDIENCE });
const cached = createGuard({ issuer: server.issuer, audience: AUDIENCE, verifiedTokenCache: true });
const req = { method: 'GET', url: 'http://127.0.0.1/', headers: { authorization: `Bearer ${token}` } };
await guard.verify(req); await cached.verify(req);
const ko = createPublicKey({ key: key.publicJwk, format: 'jwk' });
const s = token.lastIndexOf('.');
const data = Buffer.from(token.slice(0, s), 'latin1');
const sig = Buffer.from(token.slice(s + 1), 'base64url');
const input = alg === 'ES256' ? { key: ko, dsaEncoding: 'ieee-p1363' } : ko;
const header = decodeProtectedHeader(token);
const vkey = { key: ko, kid: undefined, alg, keyType: alg === 'ES256' ? 'ec' : 'rsa' };
const resolved = resolveOptions({ issuer: server.issuer, audience: AUDIENCE });
const issuers = new Map([[server.issuer, new TrustedIssuer(server.issuer, resolved)]]);
const findIssuer = createIssuerLookup(issuers, {}, undefined);
await verifyJwtAccessToken(token, header, findIssuer, resolved, true);
const variants = {
  jwt: () => verifyJwtAccessToken(token, header, findIssuer, resolved, true),
  combo: () => { verifySignature(parseJws(token, header, true), vkey); return cached.verify(req); },
  parseVerifyFreeze: () => { const j = parseJws(token, header, true); verifySignature(j, vkey); return freezeClaims(j.payload); },
  floor: () => verify('sha256', data, input, sig),
  parseVerify: () => verifySignature(parseJws(token, header, true), vkey),
  parseOnly: () => parseJws(token, header, true) !== undefined,
  guard: () => guard.verify(req),
  cacheHit: () => cached.verify(req),
};
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let b = 0; b < 20; b++) {
  const names = b % 2 ? Object.keys(variants) : Object.keys(variants).reverse();
  for (const n of names) { const f = variants[n]; const t = cpu(); for (let i = 0; i < 1000; i++) { const r = f(); if (r instanceof Promise) await r; else if (!r) throw new Error(n); } res[n].push((cpu() - t) / 1000); }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
for (const [n, a] of Object.entries(res)) { const ratios = a.map((v, i) => v / res.floor[i]); console.log(n.padEnd(12), med(a.slice(2)).toFixed(2), 'ratio', med(ratios.slice(2)).toFixed(3)); }
await server.close?.(); process.exit(0);
