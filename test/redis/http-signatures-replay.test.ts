/**
 * The HTTP signatures' replay guard on the Redis store, as two API processes would share it: a
 * signed request verified through one verifier is a replay on the other.
 */
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { createRedisStore, type RedisStore } from '@resource-guard/redis';
import { createRequestSignatureVerifier, createRequestSigner } from '@resource-guard/http-signatures';
import { rejectionOf } from '../helpers/issuer.js';
import { keyPair, paymentRequest, withFields } from '../http-signatures/signing.js';

const silent = { warn() {}, error() {} };
let redis: TestRedisServer;
const stores: RedisStore[] = [];

test.before(async () => {
  redis = await startRedisServer();
});
test.after.always(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis?.stop();
});

test('a signed request verified through one process is refused as a replay by the other', async (t) => {
  const client = keyPair('ES256');
  const verifiers = [];
  for (let i = 0; i < 2; i += 1) {
    // Well above the default: a loaded test machine can exceed it, and these calls must succeed.
    const store = createRedisStore({ url: redis.url }, { logger: silent, timeout: 5_000 });
    stores.push(store);
    if (!await store.ready(15_000)) throw new Error('the test redis-server did not accept a connection');
    verifiers.push(createRequestSignatureVerifier({ keys: { keys: [client.publicJwk] }, replay: { store } }));
  }
  const request = paymentRequest();
  const signed = withFields(request, await createRequestSigner({ key: client.privateJwk }).sign(request));
  t.truthy(await verifiers[0]!.verify(signed));
  t.is((await rejectionOf(verifiers[1]!.verify(signed))).code, 'ERR_HTTPSIG_REPLAYED');
  t.is((await rejectionOf(verifiers[0]!.verify(signed))).code, 'ERR_HTTPSIG_REPLAYED');
});
