#!/usr/bin/env bash
# Local stand-ins for the two images services/depot/Dockerfile builds FROM, because no
# image registry is reachable from the test machines:
#
#   BASE_IMAGE  gcr.io/distroless/python3-debian12 in production. Here: the same Debian 12
#               python3.11 packages, unpacked with mmdebstrap (no maintainer scripts, as
#               distroless does), then stripped to the interpreter: no shell, no package
#               manager, no coreutils.
#   UV_IMAGE    ghcr.io/astral-sh/uv in production. Here: the pinned uv binary that
#               scripts/setup/python.sh installed, alone in an image at /uv.
#
# Each image's tag is a hash of what defines it (this file, the uv version), so editing
# the package list or the strip rules rebuilds it and an unchanged setup reuses it.
# The tags are written to .cache/container/images.env for mk/container.mk and the tests.
source "$(dirname "$0")/lib.sh"
SUITE=bookworm
# python3.11 pulls in libpython3.11-stdlib, libc6, libssl3 and friends; python3-minimal
# adds the /usr/bin/python3 link that distroless also has.
PACKAGES=python3.11,python3-minimal
# renovate: datasource=pypi depName=uv
UV_VERSION=0.13.9

export CONTAINERS_CONF="$CACHE/containers/containers.conf"
export CONTAINERS_STORAGE_CONF="$CACHE/containers/storage.conf"
OUT="$CACHE/container"
mkdir -p "$OUT"

key() { sha256sum | cut -c1-12; }
image_exists() { podman image exists "$1"; }

# strip_to_interpreter DIR: make the unpacked tree look like distroless at run time: the
# interpreter and its libraries, a passwd/group with root, nobody and nonroot (65532), a
# world-writable /tmp, and nothing an interactive session would use (no shell, no dpkg,
# no tar, no docs).
strip_to_interpreter() {
  local dir="$1"
  (
    cd "$dir"
    find bin sbin usr/bin usr/sbin usr/libexec -mindepth 1 -maxdepth 1 \
      ! -name python3.11 ! -name python3 -exec rm -rf {} + 2>/dev/null || true
    rm -rf usr/share/doc usr/share/man usr/share/info usr/share/locale usr/share/lintian \
      usr/share/bug usr/share/dpkg usr/share/polkit-1 usr/share/applications usr/share/pixmaps \
      usr/share/binfmts usr/lib/dpkg lib/systemd etc/apt var/cache/apt var/lib/apt var/log \
      usr/lib/python3.11/test usr/lib/python3.11/idlelib usr/lib/python3.11/ensurepip
    mkdir -p tmp etc
    chmod 1777 tmp
    printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
      'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >etc/passwd
    printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >etc/group
  )
}

# --- BASE_IMAGE ---------------------------------------------------------------------
base_repo=localhost/depot-base-python3-debian12
base_tag="$base_repo:$(key <"$0")"
if ! image_exists "$base_tag"; then
  log "assembling $base_tag with mmdebstrap ($SUITE: $PACKAGES)"
  tree="$(mktemp -d "$OUT/base.XXXXXX")"
  trap 'rm -rf "$tree"' EXIT
  mmdebstrap --quiet --variant=extract --include="$PACKAGES" --format=directory \
    "$SUITE" "$tree" >&2
  strip_to_interpreter "$tree"
  tar --numeric-owner -C "$tree" -cf - . |
    podman import --quiet --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$base_tag" >/dev/null
  rm -rf "$tree"
  # Older assemblies of the base only take space now.
  podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$base_repo" |
    grep -vxF "$base_tag" | xargs -r podman rmi --force >/dev/null 2>&1 || true
fi

# --- UV_IMAGE -----------------------------------------------------------------------
# The binary itself, not a link: the pinned one scripts/setup/python.sh put in .cache/bin.
# Never python3's own `uv` module nor the first uv on the user's PATH: either may be
# another version (ADR 0080).
uv_bin="$(readlink -f "$CACHE/bin/uv" 2>/dev/null || true)"
if [ ! -f "$uv_bin" ] || ! head -c 4 "$uv_bin" | grep -q ELF || [ "$("$uv_bin" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  echo "uv at $uv_bin is not $UV_VERSION; run scripts/setup/python.sh first" >&2
  exit 1
fi
uv_tag="localhost/depot-uv:$UV_VERSION"
if ! image_exists "$uv_tag"; then
  log "packing $uv_tag from $uv_bin"
  staging="$(mktemp -d)"
  trap 'rm -rf "$staging"' EXIT
  install -m 0755 "$uv_bin" "$staging/uv"
  tar -C "$staging" -cf "$staging.tar" uv
  podman import --quiet "$staging.tar" "$uv_tag" >/dev/null
  rm -f "$staging.tar"
fi

cat >"$OUT/images.env" <<EOF
BASE_IMAGE=$base_tag
UV_IMAGE=$uv_tag
EOF
log "container base images ready: $base_tag, $uv_tag"
