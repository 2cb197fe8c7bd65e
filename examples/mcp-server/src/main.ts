/** `npm start -w examples/mcp-server`: ISSUER (default the dev AS on :9000) and PORT (default 3100). */
import { startMcpServer } from './app.js';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:9000';
const server = await startMcpServer({ issuer, port: Number(process.env.PORT ?? 3100) });
console.log(`MCP server: ${server.url}\nmetadata:   ${server.metadataUrl}\ntrusting:   ${issuer}`);
