#!/bin/sh
# Vendors the KERN UX design system (@kern-ux/native, EUPL-1.2) into static/kern/:
# its stylesheet, its fonts (Fira Sans, Noto Sans) as shipped, and its licence.
# Nothing is fetched at run time; run this (`make kern`) to update, then commit.
# KERN_VERSION=2.7.2 pins a version; the default is the registry's latest.
set -eu
version="${KERN_VERSION:-latest}"
target="$(cd "$(dirname "$0")/.." && pwd)/static/kern"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@kern-ux/native@$version" >/dev/null && tar xzf kern-ux-native-*.tgz)
rm -rf "$target"
mkdir -p "$target"
cp "$tmp/package/dist/kern.min.css" "$target/"
cp -R "$tmp/package/dist/fonts" "$target/fonts"
cp "$tmp/package/LICENSE.md" "$target/LICENSE.md"
node -e 'const p=require(process.argv[1]); console.log(p.name+"@"+p.version+" ("+p.license+")")' \
  "$tmp/package/package.json" > "$target/VERSION"
echo "KERN UX: $(cat "$target/VERSION") -> static/kern/"
