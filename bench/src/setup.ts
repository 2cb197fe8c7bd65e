/**
 * Shared by the full run and the quick mode: the authorization server and tokens, one server child
 * per scenario (or, with `--one-process`, one per framework holding all of its scenarios' apps),
 * and the pre-checks.
 */
import {
  AUDIENCE, CLIENT_ID, FRAMEWORKS, INTROSPECTION_CLIENT, SCENARIOS, SUBJECT, type AppConfig, type Scenario, type ServerConfig,
} from './config.js';
import { startServer, type ServerHandle } from './children.js';
import { credentialFor, type Credential, type Tokens } from './credentials.js';
import {
  createDpopKey, createSigningKey, mintAccessToken, opaqueToken, startAuthServer, type AuthServer,
} from './fixtures.js';
import { precheck } from './precheck.js';
import type { ScenarioOutcome } from './report.js';
import { redisServerInstalled, startRedisServer, type TestRedisServer } from '@resource-guard-tools/launchers';

export interface World {
  server: AuthServer;
  tokens: Tokens;
  /** A redis-server of the bench's own for the `-redis` scenarios; absent when it is not installed. */
  redis: TestRedisServer | undefined;
  close(): Promise<void>;
}

export async function createWorld(): Promise<World> {
  const keys = [await createSigningKey('ES256'), await createSigningKey('RS256'), await createSigningKey('EdDSA')] as const;
  const server = await startAuthServer(keys);
  const dpopKey = createDpopKey();
  const opaque = opaqueToken();
  const now = Math.floor(Date.now() / 1000);
  server.activeTokens.set(opaque, { sub: SUBJECT, aud: AUDIENCE, iss: server.issuer, client_id: CLIENT_ID, exp: now + 3600, iat: now, scope: 'orders:read' });
  const tokens: Tokens = {
    ES256: await mintAccessToken(keys[0], server.issuer),
    RS256: await mintAccessToken(keys[1], server.issuer),
    opaque,
    EdDSA: await mintAccessToken(keys[2], server.issuer),
    dpop: await mintAccessToken(keys[0], server.issuer, { cnf: { jkt: dpopKey.jkt } }),
    dpopByAlg: {
      ES256: await mintAccessToken(keys[0], server.issuer, { cnf: { jkt: dpopKey.jkt } }),
      RS256: await mintAccessToken(keys[1], server.issuer, { cnf: { jkt: dpopKey.jkt } }),
      EdDSA: await mintAccessToken(keys[2], server.issuer, { cnf: { jkt: dpopKey.jkt } }),
    },
    dpopKey,
    genericTyp: {
      ES256: await mintAccessToken(keys[0], server.issuer, {}, 'JWT'),
      RS256: await mintAccessToken(keys[1], server.issuer, {}, 'JWT'),
      EdDSA: await mintAccessToken(keys[2], server.issuer, {}, 'JWT'),
    },
  };
  const redis = redisServerInstalled ? await startRedisServer() : undefined;
  return {
    server,
    tokens,
    redis,
    close: async () => {
      await server.close();
      await redis?.stop();
    },
  };
}

export function appConfig(scenario: Scenario, server: AuthServer, redis?: TestRedisServer): AppConfig {
  return {
    framework: scenario.framework,
    kind: scenario.kind,
    issuer: server.issuer,
    jwksUri: server.jwksUri,
    audience: AUDIENCE,
    alg: scenario.alg,
    ...(scenario.token === 'opaque' ? { introspection: { endpoint: server.introspectionEndpoint, ...INTROSPECTION_CLIENT } } : {}),
    ...(redis === undefined ? {} : { redisUrl: redis.url }),
  };
}

/** A scenario with its server (when it started) and credential. */
export interface Running {
  outcome: ScenarioOutcome;
  handle: ServerHandle;
  credential: Credential | undefined;
}

/**
 * Starts every scenario's server (four at a time) and runs its pre-checks. `oneProcess`: one server
 * per framework, every scenario's app under `/<scenario id>/` in it (see `AppConfig.path`).
 */
export async function startAndCheck(world: World, scenarios: readonly Scenario[] = SCENARIOS, oneProcess = false): Promise<Running[]> {
  if (oneProcess) return startShared(world, scenarios);
  const running: Running[] = [];
  const queue = [...scenarios];
  async function next(): Promise<void> {
    for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) {
      running.push(await checkOne(world, scenario, await startHandle(appConfig(scenario, world.server, world.redis))));
    }
  }
  await Promise.all(Array.from({ length: 4 }, next));
  // Keep the scenario order (parallel starts shuffle it).
  return scenarios.map((scenario) => running.find((entry) => entry.outcome.scenario === scenario)!);
}

async function startShared(world: World, scenarios: readonly Scenario[]): Promise<Running[]> {
  const running: Running[] = [];
  for (const framework of FRAMEWORKS) {
    const group = scenarios.filter((scenario) => scenario.framework === framework);
    if (group.length === 0) continue;
    const shared = await startHandle({ routes: group.map((scenario) => ({ ...appConfig(scenario, world.server, world.redis), path: `/${scenario.id}/` })) });
    // Every scenario's handle stops the one process: once.
    let stopped: Promise<void> | undefined;
    for (const scenario of group) {
      let handle: ServerHandle | FailedStart = shared;
      if (shared.status === 'ready') {
        const reason = shared.skipped?.[`/${scenario.id}/`];
        const stop = shared.stop;
        handle = reason !== undefined
          ? { status: 'skipped', reason }
          : { ...shared, url: `${shared.url}${scenario.id}/`, stop: () => (stopped ??= stop()) };
      }
      running.push(await checkOne(world, scenario, handle));
    }
  }
  return scenarios.map((scenario) => running.find((entry) => entry.outcome.scenario === scenario)!);
}

/** A server that did not start: its scenarios are reported as failed, with the reason. */
interface FailedStart { status: 'failed'; reason: string }

async function startHandle(config: ServerConfig): Promise<ServerHandle | FailedStart> {
  try {
    return await startServer(config);
  } catch (error) {
    return { status: 'failed', reason: `server failed to start: ${(error as Error).message}` };
  }
}

async function checkOne(world: World, scenario: Scenario, started: ServerHandle | FailedStart): Promise<Running> {
  const outcome: ScenarioOutcome = {
    scenario, status: 'checked', runs: [], cpuPerRequest: [], bareRps: [], bareCpuPerRequest: [], ratios: [], addedMicros: [], addedCpuMicros: [], notes: [],
  };
  const handle: ServerHandle = started.status === 'failed' ? { status: 'skipped', reason: started.reason } : started;
  if (started.status === 'failed') outcome.status = 'failed';
  if (handle.status === 'skipped') {
    if (outcome.status !== 'failed') outcome.status = 'skipped';
    outcome.reason = handle.reason;
    return { outcome, handle, credential: undefined };
  }
  const credential = credentialFor(scenario.token, world.tokens, handle.url, scenario.alg, scenario.genericTyp === true);
  try {
    outcome.precheck = await precheck(handle.url, credential, scenario.kind !== 'bare' && scenario.kind !== 'noop', scenario.gaps, scenario.kind.startsWith('resource-guard'));
  } catch (error) {
    outcome.precheck = { ok: false, details: [`error: ${(error as Error).message}`] };
  }
  if (!outcome.precheck.ok) outcome.status = 'failed';
  return { outcome, handle, credential };
}

export async function stopAll(running: readonly Running[]): Promise<void> {
  await Promise.all(running.map(({ handle }) => (handle.status === 'ready' ? handle.stop() : undefined)));
}
