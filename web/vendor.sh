#!/bin/sh
# Refreshes the vendored API reference renderer, Redoc, in
# web/static/vendor/redoc/: the standalone bundle served to /docs and its
# license, from the npm package at the pinned version below. Run it by hand
# after changing the version (from anywhere; it needs npm and the registry),
# then commit what changed. Nothing is fetched at build or run time.
set -eu

REDOC_VERSION=3.0.1

here=$(cd "$(dirname "$0")" && pwd)
dest=$here/static/vendor/redoc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "redoc@$REDOC_VERSION" >/dev/null)
tar -xzf "$work/redoc-$REDOC_VERSION.tgz" -C "$work" \
	package/bundles/redoc.standalone.js package/LICENSE
mkdir -p "$dest"
cp "$work/package/bundles/redoc.standalone.js" "$dest/redoc.standalone.js"
cp "$work/package/LICENSE" "$dest/LICENSE"
echo "redoc@$REDOC_VERSION" >"$dest/VERSION"
echo "vendored redoc@$REDOC_VERSION into $dest"
