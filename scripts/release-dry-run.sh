#!/usr/bin/env bash
# What a release would do, without doing it: `lerna version` (Conventional Commits → next
# versions, per-package CHANGELOG.md, exact internal dependency versions) in a throwaway clone,
# then `npm publish --dry-run` there for every package lerna would publish. Nothing is pushed,
# tagged or published.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

git clone -q "$root" "$tmp/repo"
# Hard links: the same installed files without a symlink, so that paths resolve inside the clone
# (its workspace links point at its own packages).
cp -al "$root/node_modules" "$tmp/repo/node_modules" 2>/dev/null || cp -a "$root/node_modules" "$tmp/repo/node_modules"
cd "$tmp/repo"
git checkout -q -B main
npx lerna version --yes --no-push --no-git-tag-version --conventional-commits --loglevel warn
changed="$(git status --porcelain)"
for dir in "$root"/packages/*/; do
  name="$(basename "$dir")"
  [ "$(node -p "require('$dir/package.json').private === true")" = true ] && continue
  for file in "packages/$name/CHANGELOG.md" "packages/$name/package.json"; do
    grep -q " $file\$" <<<"$changed" || { echo "lerna version did not update $file" >&2; exit 1; }
  done
done
version="$(node -p "require('./lerna.json').version")"
# Internal dependencies move with the versions, exactly (lerna.json "exact").
node -e '
  const fs = require("fs");
  for (const dir of fs.readdirSync("packages")) {
    const pkg = JSON.parse(fs.readFileSync(`packages/${dir}/package.json`, "utf8"));
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (name.startsWith("@resource-guard/") && range !== process.argv[1]) throw new Error(`${pkg.name}: ${name}@${range}, not ${process.argv[1]}`);
    }
  }' "$version"
for dir in packages/*/; do grep -qF "$version" "$dir/CHANGELOG.md" || { echo "no $version entry in $dir/CHANGELOG.md" >&2; exit 1; }; done
echo "lerna version: every package would become $version; CHANGELOG.md written for each"

# Publish from the clone, which has never been built (dist/ is not in git): prepack must build
# each package, or the dry run would list no dist/ files.
for location in $(npx lerna ls --json --loglevel silent | node -e 'for (const p of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(p.location)'); do
  (cd "$location" && npm publish --dry-run --json --loglevel error > "$tmp/publish.json")
  node -e '
    const [report] = Object.values(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))).flat();
    const files = report.files.map((file) => file.path);
    for (const required of ["dist/index.js", "dist/index.d.ts", "README.md", "LICENSE", "CHANGELOG.md"]) {
      if (!files.includes(required)) throw new Error(`${report.name}@${report.version} would be published without ${required}`);
    }
    console.log(`npm publish --dry-run: ${report.name}@${report.version}, ${files.length} files, built by prepack`);
  ' "$tmp/publish.json"
done
