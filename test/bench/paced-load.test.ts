/**
 * The fixed-rate load generator counts what it sends and what comes back: every planned request
 * is sent once, answers are sorted by status, and a refused connection is an error, not a latency.
 * No timing is asserted (the machine is shared); only counts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { runPacedLoad } from '../../bench/src/paced-load.js';

async function serve(listener: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('paced load: rate × duration requests, each sent once with its own headers, latencies only of 2xx answers', async (t) => {
  const seen: string[] = [];
  const api = await serve((request, response) => {
    seen.push(String(request.headers['x-n']));
    response.statusCode = Number(request.headers['x-n']) % 5 === 0 ? 401 : 200;
    response.end();
  });
  t.teardown(api.close);
  let n = 0;
  const result = await runPacedLoad({ url: api.url, rate: 200, duration: 0.25, connections: 4, next: () => ({ 'x-n': String(++n) }) });
  t.is(result.total, 50);
  t.is(seen.length, 50);
  t.deepEqual([...seen].map(Number).sort((a, b) => a - b), Array.from({ length: 50 }, (_, index) => index + 1));
  t.deepEqual(result.statuses, { 200: 40, 401: 10 });
  t.is(result.non2xx, 10);
  t.is(result.errors, 0);
  t.true(Number.isFinite(result.latencyP50) && result.latencyP50 >= 0);
  t.true(result.latencyP99 >= result.latencyP50);
});

test('paced load: a refused connection is counted as an error and ends the run', async (t) => {
  const api = await serve((_request, response) => response.end());
  const { url } = api;
  await api.close();
  const result = await runPacedLoad({ url, rate: 100, duration: 0.1, connections: 2, headers: {} });
  t.is(result.total, 10);
  t.is(result.errors, 10);
  t.deepEqual(result.statuses, {});
  t.true(Number.isNaN(result.latencyP50));
});
