/**
 * The store on your own ioredis `Cluster` (three real redis-server nodes joined by
 * `redis-cli --cluster create`): the atomic `add`, the exact `increment` transaction, `addCounted`
 * and JSON values work across the cluster's slots with the client left as you made it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { Cluster } from 'ioredis';
import { createRedisStore } from '@resource-guard/redis';

let nodes: TestRedisServer[] = [];
test.before(async () => {
  nodes = await Promise.all([1, 2, 3].map(() => startRedisServer({ cluster: true })));
  await promisify(execFile)('redis-cli', [
    '--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes',
  ]);
});
test.after.always(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
});

test('a Cluster client: one add wins of 20, increments count 1..20, values round-trip, keys spread over the nodes', async (t) => {
  const client = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }], { lazyConnect: true });
  t.teardown(() => client.disconnect());
  const store = createRedisStore({ client }, { logger: { warn() {}, error() {} }, timeout: 5_000 }); // patient: a loaded test machine
  t.true(await store.ready(15_000), 'the store connected the lazy client');
  const added = await Promise.all(Array.from({ length: 20 }, () => store.add('dpop:jti:cluster', 1, 10)));
  t.is(added.filter(Boolean).length, 1);
  const counts = await Promise.all(Array.from({ length: 20 }, () => store.increment('dpop:quota:cluster', 10)));
  t.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  for (let i = 0; i < 30; i += 1) await store.set(`introspection:${i}`, { i }, 10);
  t.deepEqual(await store.get('introspection:7'), { i: 7 });
  const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
  t.true(perNode.filter((size) => size > 0).length > 1, `keys on more than one node: ${perNode.join(', ')}`);
  t.true(await client.pttl('resource-guard:dpop:quota:cluster') > 0);
  // The marker and its counter in different slots: sent in turn, a marker past the limit taken back.
  t.not(await client.cluster('KEYSLOT', 'resource-guard:dpop:jti:c1'), await client.cluster('KEYSLOT', 'resource-guard:dpop:quota:c'));
  t.deepEqual(await store.addCounted('dpop:jti:c1', 1, 10, 'dpop:quota:c', 1), { added: true, count: 1 });
  t.deepEqual(await store.addCounted('dpop:jti:c1', 1, 10, 'dpop:quota:c', 5), { added: false, count: 1 }, 'a replay, not counted');
  t.deepEqual(await store.addCounted('dpop:jti:c2', 1, 10, 'dpop:quota:c', 1), { added: false, count: 2 }, 'past the limit');
  t.is(await client.exists('resource-guard:dpop:jti:c2'), 0, 'no marker kept past the limit');
});
