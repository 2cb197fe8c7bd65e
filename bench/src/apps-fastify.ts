/**
 * The Fastify apps under test: the same JSON route as the Express and Koa apps, every rejection
 * rendered the same way (its status, its headers, no body) by one `setErrorHandler`.
 */
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
    case 'resource-guard':
    case 'resource-guard-cache':
      app.addHook('onRequest', guarded(() => protect(guardOptions(config)), config));
      subject = (request) => request.auth?.subject;
      break;
    default:
      throw new Error(`${config.kind} has no Fastify app`);
  }
  app.get(config.path ?? '/', async (request) => ({ sub: subject(request) }));
  app.setErrorHandler((error: { status?: number; statusCode?: number; headers?: Record<string, string> }, _request, reply) => {
    if (error.headers !== undefined) reply.headers(error.headers);
    return reply.code(error.statusCode ?? error.status ?? 500).send();
  });
  await app.ready();
  return app.routing as http.RequestListener;
}
