#!/usr/bin/env node
// Long fuzz runs: `npm run fuzz -- [--seed N] [--scale N]`. Prints the seed first, so that any
// failure can be replayed with the same seed (and the path fast-check prints): `npm run fuzz --
// --seed N` or `FUZZ_SEED=N FUZZ_PATH=… npx ava test/fuzz/<file>`.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seed: { type: 'string' }, scale: { type: 'string', default: '50' } } });
const seed = values.seed ?? String(randomInt(1, 2 ** 31 - 1));
const scale = values.scale;
if (!/^\d+$/.test(seed) || !/^\d+(\.\d+)?$/.test(scale)) {
  console.error('usage: npm run fuzz -- [--seed <integer>] [--scale <number>]');
  process.exit(2);
}
console.log(`fuzz: seed ${seed}, scale ${scale} (replay: npm run fuzz -- --seed ${seed} --scale ${scale})`);
const result = spawnSync('npx', ['ava', '--timeout', '30m', 'test/fuzz/'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_SCALE: scale },
});
process.exit(result.status ?? 1);
