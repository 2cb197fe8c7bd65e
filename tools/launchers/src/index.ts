/**
 * Launchers of the test infrastructure, shared by the tests, the demo and the benchmarks.
 * Development and test use only: this workspace is private and never published.
 */
export { redisServerInstalled, startRedisServer, type RedisServerOptions, type TestRedisServer } from './redis-server.js';
