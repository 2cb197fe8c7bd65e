/**
 * One orders-API process for the token-exchange scale-out test: a guard and a token exchange on a
 * Redis store shared with the other processes. Settings come as JSON in argv[2]. It verifies the
 * caller's token, prints `READY`, waits for `GO` on stdin (so that every process starts at once),
 * makes `calls` concurrent downstream calls and prints `DONE <statuses as JSON>`.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGuard } from '@resource-guard/core';
import { createTokenExchange } from '@resource-guard/core/exchange';
import { createRedisStore } from '@resource-guard/redis';
import { spawnTestProcess, untilReady } from './child-process.js';

/** What a process is configured with. */
export interface ExchangeInstanceSettings {
  issuer: string;
  audience: string[];
  redisUrl: string;
  clientId: string;
  clientSecret: string;
  /** base64url, 32 bytes. */
  encryptionKey: string;
  token: string;
  downstreamUrl: string;
  target: string;
  calls: number;
}

/** A started process: `go()` releases it and resolves with the statuses of its downstream calls. */
export interface ExchangeInstance {
  go(): Promise<number[]>;
}

/** Starts a process and resolves once it is ready (its caller verified, Redis connected). */
export async function startExchangeInstance(settings: ExchangeInstanceSettings): Promise<ExchangeInstance> {
  const { child, lines } = spawnTestProcess(fileURLToPath(import.meta.url), settings, 'pipe');
  await untilReady(child, lines, 'READY');
  const done = untilReady(child, lines, 'DONE ');
  done.catch(() => undefined); // observed by go(); a process that dies before it must not be an unhandled rejection
  return {
    go: async () => {
      child.stdin!.write('GO\n');
      return JSON.parse(await done) as number[];
    },
  };
}

async function main(settings: ExchangeInstanceSettings): Promise<void> {
  const silent = { warn() {}, error() {} };
  const store = createRedisStore({ url: settings.redisUrl }, { logger: silent, timeout: 5_000 }); // patient: a loaded test machine
  if (!await store.ready(15_000)) throw new Error('redis-server did not accept a connection');
  const guard = createGuard({ issuer: settings.issuer, audience: settings.audience, store, logger: silent });
  const exchange = createTokenExchange(guard, { clientId: settings.clientId, clientSecret: settings.clientSecret, encryptionKey: settings.encryptionKey });
  const auth = await guard.verify({ method: 'GET', url: 'https://orders.example.test/', headers: { authorization: `Bearer ${settings.token}` } });
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const responses = await Promise.all(Array.from({ length: settings.calls }, () => exchange.downstreamFetch(auth, settings.downstreamUrl, undefined, { audience: settings.target })));
  process.stdout.write(`DONE ${JSON.stringify(responses.map((response) => response.status))}\n`);
  await store.close();
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(JSON.parse(process.argv[2]!) as ExchangeInstanceSettings);
