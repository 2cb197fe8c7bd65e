import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';

// Every published package (packages/*/package.json without `private`) must carry what a user of
// the registry sees: links, licence, a README, exports that tools can read, and a build on pack.
// New packages are picked up automatically; CONTRIBUTING.md has the checklist this enforces.

const root = path.resolve(import.meta.dirname, '..');
const rootLicense = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');

interface PackageJson {
  name: string;
  private?: boolean;
  version: string;
  description?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  license?: string;
  type?: string;
  sideEffects?: boolean;
  exports?: Record<string, unknown>;
  types?: string;
  files?: string[];
  engines?: { node?: string };
  publishConfig?: { access?: string };
  scripts?: Record<string, string>;
}

const published = fs.readdirSync(path.join(root, 'packages'))
  .map((name) => path.join(root, 'packages', name))
  .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson }))
  .filter(({ json }) => json.private !== true);

test('there are published packages to check', (t) => {
  t.true(published.some(({ json }) => json.name === '@resource-guard/core'));
  t.true(published.length >= 3);
});

for (const { dir, json } of published) {
  const relative = path.relative(root, dir).split(path.sep).join('/');

  test(`${json.name}: links, licence and keywords`, (t) => {
    t.regex(json.name, /^@resource-guard\/[a-z-]+$/);
    t.truthy(json.description);
    t.true((json.keywords?.length ?? 0) >= 3);
    t.is(json.license, 'MIT');
    t.is(json.repository?.type, 'git');
    t.regex(json.repository?.url ?? '', /^git\+https:\/\/.+\.git$/);
    t.is(json.repository?.directory, relative, 'repository.directory points at the package folder');
    t.regex(json.homepage ?? '', new RegExp(`/${relative}#readme$`));
    t.regex(json.bugs?.url ?? '', /\/issues$/);
    t.is(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8'), rootLicense, 'LICENSE is the root LICENSE');
  });

  test(`${json.name}: ESM-only exports tools can resolve`, (t) => {
    t.is(json.type, 'module');
    t.is(json.sideEffects, false);
    t.is(json.exports?.['./package.json'], './package.json');
    const main = json.exports?.['.'] as { types?: string; default?: string } | undefined;
    t.deepEqual(Object.keys(main ?? {}), ['types', 'default'], '"types" first, as TypeScript requires');
    t.is(json.types, main?.types);
    // require(esm) is unflagged from Node 20.19 on; an older floor promises what cannot work.
    t.is(json.engines?.node, '>=20.19');
    t.is(json.publishConfig?.access, 'public');
  });

  test(`${json.name}: packing builds first and ships what the source maps point at`, (t) => {
    // dist is emptied first (tsc -b never deletes outputs of files that no longer exist), and the
    // build info with it, or tsc -b would think the deleted outputs are up to date.
    t.is(json.scripts?.prepack, `node -e "for (const p of ['dist', 'tsconfig.tsbuildinfo']) fs.rmSync(p, { recursive: true, force: true })" && tsc -b`);
    t.true(json.files?.includes('dist'));
    t.true(json.files?.includes('src'), 'source maps reference ../src/*.ts');
    t.true(json.files?.includes('!dist/**/*.tsbuildinfo'));
    t.true(json.files?.includes('CHANGELOG.md'), 'npm no longer ships a changelog unless listed');
    t.true(fs.existsSync(path.join(dir, 'CHANGELOG.md')));
  });

  test(`${json.name}: README with install, quick start and links`, (t) => {
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    t.true(readme.includes(`npm install ${json.name}`));
    t.regex(readme, /```ts\n[\s\S]+?\n```/);
    t.regex(readme, /\]\(https:\/\/[^)]+\/docs\//, 'links to the guides');
    t.regex(readme, /20\.19/, 'says the Node.js floor');
  });
}
