#!/usr/bin/env bash
# The documentation site's tools beyond the Python ones (mkdocs and Material come from
# the root project's `docs` dependency group; Chromium, to open the built site, from
# chromium.sh): Mermaid's browser bundle, served by the site itself so the architecture
# picture renders without fetching from a CDN (Material loads unpkg.com only when no
# `mermaid` global exists).
source "$(dirname "$0")/lib.sh"

# Material expects Mermaid 11 (its bundle names mermaid@11). The tarball's integrity is
# pinned as the npm registry reports it (`npm view mermaid@VERSION dist.integrity`), so a
# republished package cannot swap the script silently.
# renovate: datasource=npm depName=mermaid
MERMAID_VERSION=11.17.2
MERMAID_INTEGRITY="sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg=="
ASSETS="$CACHE/docs-assets"
STAMP="$ASSETS/.mermaid-$MERMAID_VERSION"
[ -f "$STAMP" ] && [ -f "$ASSETS/mermaid.min.js" ] && exit 0
log "installing the Mermaid $MERMAID_VERSION browser bundle from npm"
command -v npm >/dev/null 2>&1 || apt_install npm
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$MERMAID_VERSION" >/dev/null)
actual="$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$work/mermaid-$MERMAID_VERSION.tgz")"
if [ "$actual" != "$MERMAID_INTEGRITY" ]; then
  echo "mermaid-$MERMAID_VERSION.tgz has integrity $actual, expected $MERMAID_INTEGRITY" >&2
  exit 1
fi
tar xzf "$work/mermaid-$MERMAID_VERSION.tgz" -C "$work" package/dist/mermaid.min.js
mkdir -p "$ASSETS"
install -m 0644 "$work/package/dist/mermaid.min.js" "$ASSETS/mermaid.min.js"
rm -f "$ASSETS"/.mermaid-* && touch "$STAMP"
