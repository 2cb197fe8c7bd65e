/**
 * The Fastify apps under test: the same JSON route as the Express and Koa apps, every rejection
 * rendered the same way (its status, its headers, no body) by one `setErrorHandler`.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type http from 'node:http';
import Fastify, { type FastifyRequest } from 'fastify';
import { protect } from '@resource-guard/fastify';
import { guardOptions, guarded } from './apps.js';
import { SUBJECT, type AppConfig } from './config.js';
import { loadFastifyJwt, loadGetJwks } from './peers.js';

type JwtRequest = FastifyRequest & { jwtVerify(): Promise<unknown>; user?: { sub?: unknown } };

export async function buildFastifyApp(config: AppConfig): Promise<http.RequestListener> {
  const app = Fastify({ logger: false });
  let subject: (request: FastifyRequest) => unknown = () => SUBJECT;
  switch (config.kind) {
    case 'bare':
      break;
    case 'noop':
      app.addHook('onRequest', (_request, _reply, done) => done());
      break;
    case 'fastify-jwt': {
      const [fastifyJwt, buildGetJwks] = await Promise.all([loadFastifyJwt(), loadGetJwks()]);
      // get-jwks takes the JWKS path relative to the issuer; the allow-list keeps `iss` from choosing the URL.
      const getJwks = buildGetJwks({ issuersWhitelist: [config.issuer], jwksPath: new URL(config.jwksUri).pathname });
      await app.register(fastifyJwt, {
        decode: { complete: true },
        secret: (_request: unknown, token: { header: { kid?: string; alg?: string }; payload: { iss?: string } }) => (
          getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: token.payload.iss })
        ),
        verify: { allowedIss: config.issuer, allowedAud: config.audience, algorithms: [config.alg] },
      });
      app.addHook('onRequest', async (request) => {
        await (request as JwtRequest).jwtVerify();
      });
      subject = (request) => (request as JwtRequest).user?.sub;
      break;
    }
    case 'fastify-jwt-cached': {
      const [fastifyJwt, buildGetJwks] = await Promise.all([loadFastifyJwt(), loadGetJwks()]);
      const getJwks = buildGetJwks({ issuersWhitelist: [config.issuer], jwksPath: new URL(config.jwksUri).pathname });
      // get-jwks caches the JWK (per alg, kid and issuer); the PEM made from it is kept beside it,
      // so the conversion runs once per key instead of once per request. Node's converter takes
      // every key type (jwk-to-pem has no OKP, so no EdDSA).
      const pems = new WeakMap<object, string>();
      const pemOf = (key: object): string => {
        let pem = pems.get(key);
        if (pem === undefined) {
          pem = createPublicKey({ key: key as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
          pems.set(key, pem);
        }
        return pem;
      };
      await app.register(fastifyJwt, {
        decode: { complete: true },
        secret: async (_request: unknown, token: { header: { kid?: string; alg?: string }; payload: { iss?: string } }) => (
          pemOf(await getJwks.getJwk({ kid: token.header.kid, alg: token.header.alg, domain: token.payload.iss }))
        ),
        verify: { allowedIss: config.issuer, allowedAud: config.audience, algorithms: [config.alg] },
      });
      app.addHook('onRequest', async (request) => {
        await (request as JwtRequest).jwtVerify();
      });
      subject = (request) => (request as JwtRequest).user?.sub;
      break;
    }
    default:
      if (!config.kind.startsWith('resource-guard')) throw new Error(`${config.kind} has no Fastify app`);
      app.addHook('onRequest', guarded(() => protect(guardOptions(config)), config));
      subject = (request) => request.auth?.subject;
  }
  app.get(config.path ?? '/', async (request) => ({ sub: subject(request) }));
  app.setErrorHandler((error: { status?: number; statusCode?: number; headers?: Record<string, string> }, _request, reply) => {
    if (error.headers !== undefined) reply.headers(error.headers);
    return reply.code(error.statusCode ?? error.status ?? 500).send();
  });
  await app.ready();
  return app.routing as http.RequestListener;
}
