#!/bin/sh
# Bundles the report's typeface: Noto Sans (SIL OFL 1.1) from the npm package
# @fontsource/noto-sans, regular, bold and italic, in its Latin and Latin Extended
# subsets, unpacked from WOFF2 to TrueType (WeasyPrint would otherwise unpack every
# WOFF2 face of the stylesheet again for each PDF, about a third of a second each);
# and, for the signs Noto Sans lacks (arrows, bullets, check marks), those signs of
# DejaVu Sans (npm dejavu-fonts-ttf, free licence) as a small subset. Each face also as
# WOFF2, which the report's HTML document carries as data URLs (reports/exports.py).
# Nothing is fetched at run time; run this to update, then commit static/fonts/.
# NOTO_VERSION and DEJAVU_VERSION pin the package versions.
set -eu
version="${NOTO_VERSION:-5.3.0}"
dejavu="${DEJAVU_VERSION:-2.37.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/static/fonts"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@fontsource/noto-sans@$version" >/dev/null && tar xzf fontsource-noto-sans-*.tgz)
mkdir "$tmp/dejavu"
(cd "$tmp/dejavu" && npm pack --silent "dejavu-fonts-ttf@$dejavu" >/dev/null && tar xzf dejavu-fonts-ttf-*.tgz)
rm -f "$target"/noto-sans-* "$target"/dejavu-sans-signs.*
for subset in latin latin-ext; do
  for face in 400-normal 700-normal 400-italic; do
    "$root/.venv/bin/python" -c '
import sys
from fontTools.ttLib import TTFont
font = TTFont(sys.argv[1])
font.flavor = None
font.save(sys.argv[2])
' "$tmp/package/files/noto-sans-$subset-$face.woff2" "$target/noto-sans-$subset-$face.ttf"
    cp "$tmp/package/files/noto-sans-$subset-$face.woff2" "$target/"
  done
done
"$root/.venv/bin/pyftsubset" "$tmp/dejavu/package/ttf/DejaVuSans.ttf" \
  --unicodes="U+2010-2011,U+2190-21FF,U+2200-22FF,U+25A0-25FF,U+2713-2718" \
  --layout-features='*' --output-file="$target/dejavu-sans-signs.ttf"
"$root/.venv/bin/pyftsubset" "$tmp/dejavu/package/ttf/DejaVuSans.ttf" \
  --unicodes="U+2010-2011,U+2190-21FF,U+2200-22FF,U+25A0-25FF,U+2713-2718" \
  --layout-features='*' --flavor=woff2 --output-file="$target/dejavu-sans-signs.woff2"
cp "$tmp/package/LICENSE" "$target/LICENSE-NotoSans.txt"
cp "$tmp/dejavu/package/LICENSE" "$target/LICENSE-DejaVu.txt"
echo "Noto Sans: @fontsource/noto-sans@$version, DejaVu Sans signs: dejavu-fonts-ttf@$dejavu -> static/fonts/"
