/**
 * A real `redis-server` per test file (random loopback port, temporary directory, no
 * persistence); the launcher is shared with the demo and the bench pre-check.
 */
export { redisServerInstalled, startRedisServer, type RedisServerOptions, type TestRedisServer } from '@resource-guard-examples/shared';
