#!/usr/bin/env bash
# Fetches Swagger UI 5 (reads OpenAPI 3.1) from the npm package swagger-ui-dist into
# .local/swagger-ui, for the local stack's /docs: served from disk, no CDN.
set -euo pipefail
version=5.35.0
dest=.local/swagger-ui
[ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ] && exit 0
command -v npm >/dev/null || { echo "fetching Swagger UI needs npm on PATH" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-$version.tgz)
mkdir -p "$dest"
for asset in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE; do
  cp "$work/package/$asset" "$dest/"
done
echo "$version" > "$dest/VERSION"
echo "Swagger UI from swagger-ui-dist@$version is in $dest"
