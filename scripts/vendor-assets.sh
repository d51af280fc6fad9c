#!/usr/bin/env bash
# Vendors the console's browser assets from their npm packages at pinned versions and
# checks each file against web/assets/vendor/SHA256SUMS. `make web-assets` runs it; with
# --update it writes the checksums anew (after a version bump, review and commit them).
# Nothing is fetched at run time: the files are embedded in the binary (go:embed).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=web/assets/vendor
sums=$dest/SHA256SUMS

# package@version  file-in-package  name-in-vendor
assets=(
  "htmx.org@2.0.11 package/dist/htmx.min.js htmx.min.js"
  "echarts@6.1.0 package/dist/echarts.min.js echarts.min.js"
  "axe-core@4.14.1 package/axe.min.js axe.min.js"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for a in "${assets[@]}"; do
  read -r pkg file name <<<"$a"
  (cd "$work" && npm pack --silent "$pkg" >/dev/null)
  tgz=$(ls "$work"/*.tgz)
  tar -xzf "$tgz" -C "$work" "$file"
  cp "$work/$file" "$dest/$name"
  rm -rf "$work"/*
  echo "vendored $name from $pkg"
done
if [ "${1:-}" = "--update" ]; then
  (cd "$dest" && sha256sum htmx.min.js echarts.min.js axe.min.js >SHA256SUMS)
  echo "wrote $sums"
fi
(cd "$dest" && sha256sum -c SHA256SUMS)
