#!/usr/bin/env bash
# Local stand-ins for the two images services/Dockerfile builds FROM, because no
# image registry is reachable from the test machines:
#
#   BASE_IMAGE  gcr.io/distroless/python3-debian13:nonroot in production (ADR 0052). Here:
#               the same Debian 13 packages distroless lists for that image, unpacked
#               with mmdebstrap (no maintainer scripts, as distroless does), stripped to
#               the interpreter (no shell, no package manager, no coreutils), with the
#               image configuration distroless gives it: user 65532, working directory
#               /home/nonroot (0700, owned by 65532), LANG, SSL_CERT_FILE, PATH, entry
#               point.
#   UV_IMAGE    ghcr.io/astral-sh/uv in production. Here: the pinned uv binary that
#               scripts/setup/python.sh installed, alone in an image at /uv.
#
# Each image's tag is a hash of what defines it (this file, the uv version), so editing
# the package list or the strip rules rebuilds it and an unchanged setup reuses it.
# The tags are written to .cache/container/images.env for mk/container.mk and the tests.
source "$(dirname "$0")/lib.sh"
SUITE=trixie
PYTHON=python3.13
# renovate: datasource=pypi depName=uv
UV_VERSION=0.13.9
# The package sets of distroless' python3-debian13 image, layer by layer, as its Bazel
# configuration lists them (GoogleContainerTools/distroless at cd080764: static/config.bzl,
# base/config.bzl, common/variables.bzl CC_PACKAGES, python3/config.bzl).
# mmdebstrap also unpacks their dependencies, which distroless does not (see the
# differences table in docs/container.md).
STATIC_PACKAGES=base-files,netbase,tzdata,tzdata-legacy,media-types
BASE_PACKAGES=libc6,libssl3t64,libzstd1,zlib1g
CC_PACKAGES=libgomp1,libstdc++6,libgcc-s1,gcc-14-base
PYTHON_PACKAGES=libbz2-1.0,libdb5.3t64,libexpat1,liblzma5,libsqlite3-0,libuuid1,libncursesw6,libtinfo6,zlib1g,libcom-err2,libcrypt1,libc-bin,libgssapi-krb5-2,libk5crypto3,libkeyutils1,libkrb5-3,libkrb5support0,libnsl2,libreadline8t64,libtirpc3t64,libffi8,libpython3.13-minimal,libpython3.13-stdlib,python3.13-minimal,python3.13-venv
# distroless builds its CA bundle from Debian's ca-certificates (rules_distroless cacerts).
PACKAGES="$STATIC_PACKAGES,$BASE_PACKAGES,$CC_PACKAGES,$PYTHON_PACKAGES,ca-certificates"
# The image configuration of distroless' nonroot variant (static/static.bzl: user and
# workdir, PATH and SSL_CERT_FILE; python3/python.bzl: LANG and the entry point).
NONROOT_UID=65532
CONFIG_CHANGES=(
  "USER $NONROOT_UID"
  "WORKDIR /home/nonroot"
  "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
  "ENV LANG=C.UTF-8"
  "ENTRYPOINT [\"/usr/bin/$PYTHON\"]"
)

export CONTAINERS_CONF="$CACHE/containers/containers.conf"
export CONTAINERS_STORAGE_CONF="$CACHE/containers/storage.conf"
OUT="$CACHE/container"
mkdir -p "$OUT"

key() { sha256sum | cut -c1-12; }
image_exists() { podman image exists "$1"; }

# strip_to_interpreter DIR: make the unpacked tree look like distroless at run time: the
# interpreter and its libraries, python and python3 links to it, a passwd/group with
# root, nobody and nonroot (65532) and their home directories with distroless' owners
# and modes, a world-writable /tmp, the CA bundle, and nothing an interactive session
# would use (no shell, no dpkg, no tar, no openssl, no docs).
strip_to_interpreter() {
  local dir="$1"
  (
    cd "$dir" || exit 1
    find bin sbin usr/bin usr/sbin usr/libexec -mindepth 1 -maxdepth 1 \
      ! -name "$PYTHON" -exec rm -rf {} + 2>/dev/null || true
    ln -s "$PYTHON" usr/bin/python3
    ln -s "$PYTHON" usr/bin/python
    rm -rf usr/share/doc usr/share/man usr/share/info usr/share/locale usr/share/lintian \
      usr/share/bug usr/share/dpkg usr/share/debconf usr/share/polkit-1 usr/share/applications \
      usr/share/pixmaps usr/share/binfmts usr/lib/dpkg lib/systemd usr/lib/systemd etc/apt \
      var/cache/apt var/lib/apt var/cache/debconf var/log \
      "usr/lib/$PYTHON/test" "usr/lib/$PYTHON/idlelib" "usr/lib/$PYTHON/ensurepip"
    # ca-certificates' maintainer script would build the bundle; distroless concatenates
    # the same Mozilla certificates at build time.
    mkdir -p etc/ssl/certs
    cat usr/share/ca-certificates/mozilla/*.crt >etc/ssl/certs/ca-certificates.crt
    mkdir -p tmp etc root home/nonroot
    chmod 1777 tmp
    chmod 0700 root home/nonroot
    chmod 0755 home
    chown "$NONROOT_UID:$NONROOT_UID" home/nonroot
    printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
      "nonroot:x:$NONROOT_UID:$NONROOT_UID:nonroot:/home/nonroot:/sbin/nologin" >etc/passwd
    printf '%s\n' 'root:x:0:' 'nobody:x:65534:' "nonroot:x:$NONROOT_UID:" >etc/group
  )
}

# --- BASE_IMAGE ---------------------------------------------------------------------
base_repo=localhost/depot-base-python3-debian13
base_tag="$base_repo:$(key <"$0")"
if ! image_exists "$base_tag"; then
  log "assembling $base_tag with mmdebstrap ($SUITE: $PACKAGES)"
  tree="$(mktemp -d "$OUT/base.XXXXXX")"
  trap 'rm -rf "$tree"' EXIT
  mmdebstrap --quiet --variant=extract --include="$PACKAGES" --format=directory \
    "$SUITE" "$tree" >&2
  strip_to_interpreter "$tree"
  changes=()
  for change in "${CONFIG_CHANGES[@]}"; do changes+=(--change "$change"); done
  tar --numeric-owner -C "$tree" -cf - . |
    podman import --quiet "${changes[@]}" - "$base_tag" >/dev/null
  rm -rf "$tree"
  # Older assemblies of the base (and of the retired Debian 12 one) only take space now.
  podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=localhost/depot-base-*" |
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
