/**
 * `npm start -w examples/mcp-server [-- express|koa|fastify|hono]`: ISSUER (default the dev AS on
 * :9000) and PORT (default 3100).
 */
import { FRAMEWORKS, startMcpServer, type Framework } from './app.js';

const framework = (process.argv[2] ?? 'express') as Framework;
if (!FRAMEWORKS.includes(framework)) throw new Error(`framework must be one of ${FRAMEWORKS.join(', ')}`);
const issuer = process.env.ISSUER ?? 'http://127.0.0.1:9000';
const server = await startMcpServer({ issuer, framework, port: Number(process.env.PORT ?? 3100) });
console.log(`MCP server on ${framework}: ${server.url}\nmetadata:   ${server.metadataUrl}\ntrusting:   ${issuer}`);
