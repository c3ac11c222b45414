#!/usr/bin/env bash
# Fresh-machine rehearsal: does a clean clone set itself up and run on a clean Debian 12?
#
# 1. mmdebstrap assembles a minimal Debian 12 root filesystem: minbase plus what a
#    fresh machine is assumed to have (python3, as Debian's cloud images do) and what
#    the README asks for before the first command (ca-certificates, git, make).
# 2. What no reachable registry ships is brought from this machine: Terraform (binary)
#    and its AWS provider mirror (read-only), this site's extra CA certificates (TLS
#    inspection of the registries), resolv.conf, and download caches (apt archives, uv)
#    so a re-run does not download everything again; every package is still installed
#    by the project's own scripts.
# 3. Inside it (chroot, own mount and pid namespaces: nothing leaks, everything started
#    inside dies with it), from a clean `git clone` of this repository's HEAD: the
#    README's first command, `make run`, until /readyz answers 200, having installed no
#    container runtime, Terraform set-up, Helm, Node tool or scanner (ADR 0080); then
#    the whole set-up (`make setup`), and one check per tool family (REHEARSAL_CHECKS,
#    default: chart, infra, observability).
#
# Usage: scripts/rehearsal.sh [WORKDIR]     (make test-rehearsal runs it; root needed)
# Env:   REHEARSAL_CHECKS  space-separated pytest node ids to run inside (after make run)
#        REHEARSAL_MAKE_TARGETS  make targets to run inside after them (none by default)
#        REHEARSAL_KEEP=1  keep the root filesystem afterwards (for debugging)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$ROOT/.cache/rehearsal}"
CACHES="$ROOT/.cache/rehearsal-caches"
ROOTFS="$WORK/rootfs"
REPO_IN=/srv/depot-platform
DEFAULT_CHECKS="tests/chart/test_lint.py::test_chart_defaults_lint_once_an_image_is_given
tests/infra/test_static.py::test_terraform_fmt
tests/delivery/test_terraform_locks.py::test_readonly_init_accepts_the_lock_file
tests/observability/test_rules.py::test_promtool_unit_tests_pass"
CHECKS="${REHEARSAL_CHECKS:-$DEFAULT_CHECKS}"
# Whole make targets to run inside after the checks (test-rehearsal-full: what does not
# fit in make test's share).
MAKE_TARGETS="${REHEARSAL_MAKE_TARGETS:-}"

say() { printf '[rehearsal %s] %s\n' "$(date -u +%T)" "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (mmdebstrap, chroot, namespaces)"; exit 2; }
for tool in mmdebstrap unshare chroot git; do
  command -v "$tool" >/dev/null || { say "missing $tool: run make setup"; exit 2; }
done
terraform_bin="$(command -v terraform || true)"
[ -n "$terraform_bin" ] || { say "terraform not on PATH: the rehearsal brings it from here"; exit 2; }

cleanup() {
  if [ -z "${REHEARSAL_KEEP:-}" ]; then rm -rf "$ROOTFS"; fi
}
trap cleanup EXIT
rm -rf "$ROOTFS"
mkdir -p "$WORK" "$CACHES/apt" "$CACHES/uv"

say "assembling a clean Debian 12 root filesystem"
mmdebstrap --quiet --variant=minbase --include=ca-certificates,git,make,python3 \
  --format=directory bookworm "$ROOTFS" >&2

say "bringing from this machine: terraform, the provider mirror, CA certificates, DNS"
install -m 0755 "$(readlink -f "$terraform_bin")" "$ROOTFS/usr/local/bin/terraform"
mirror="$(sed -nE 's/^ *path += "(.+)"$/\1/p' "$ROOT/.cache/terraform/cli.tfrc" 2>/dev/null | head -n 1)"
if [ -n "$mirror" ]; then mkdir -p "$ROOTFS$mirror"; fi
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
  chroot "$ROOTFS" update-ca-certificates >/dev/null 2>&1
fi
mkdir -p "$ROOTFS/var/cache/apt/archives" "$ROOTFS/var/cache/uv"
# The service's interpreter (services/depot/.python-version, the image base's Python,
# ADR 0052): this machine kind has it through pyenv, and no registry it reaches ships
# CPython builds (uv would download one from GitHub), so it comes from here, read-only,
# at the same absolute path (pyenv builds link libpython by that path), with PYENV_ROOT
# inside naming its pyenv root, where scripts/setup/python.sh looks.
service_python="$(tr -d '[:space:]' <"$ROOT/services/depot/.python-version")"
python_dir=""
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$service_python".*; do
  if [ -x "$candidate/bin/python$service_python" ]; then python_dir="$candidate"; break; fi
done
PYTHONS_IN="${PYENV_ROOT:-$HOME/.pyenv}"
if [ -n "$python_dir" ]; then
  say "bringing from this machine: Python $service_python ($python_dir)"
  PYTHONS_IN="$(dirname "$(dirname "$python_dir")")"
  mkdir -p "$ROOTFS$python_dir"
fi

say "cloning $(git -C "$ROOT" rev-parse --short HEAD) (committed state only)"
git clone --quiet --no-hardlinks --no-checkout "$ROOT" "$ROOTFS$REPO_IN"
git -C "$ROOTFS$REPO_IN" checkout --quiet "$(git -C "$ROOT" rev-parse HEAD)"

# The environment a user's shell would have: a clean one, plus the TLS trust settings
# this site needs (they name paths that exist inside too) and CI=true so a missing tool
# fails a check instead of skipping it.
env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  LANG=C.UTF-8 CI=true DEBIAN_FRONTEND=noninteractive UV_CACHE_DIR=/var/cache/uv
  PYENV_ROOT="$PYTHONS_IN")
for var in SSL_CERT_FILE SSL_CERT_DIR PIP_CERT REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS \
  CURL_CA_BUNDLE GIT_SSL_CAINFO AWS_CA_BUNDLE TF_PROVIDER_MIRROR; do
  if [ -n "${!var:-}" ]; then env_args+=("$var=${!var}"); fi
done
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

inside="$(cat <<EOF
set -euo pipefail
cd $REPO_IN
# The README's first command on the fresh clone: it installs what it needs itself.
echo "[inside] make run (the first command), waiting for /readyz on port $port"
t0=\$(date +%s)
PORT=$port make run >/tmp/run.log 2>&1 &
ready=0
# Bounded: a first run downloads uv and the service's environment (about a minute).
for _ in \$(seq 1 600); do
  if python3 -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen("http://127.0.0.1:$port/readyz", timeout=2).status != 200)' 2>/dev/null; then
    ready=1; break
  fi
  sleep 1
done
if [ "\$ready" != 1 ]; then echo "[inside] make run never became ready"; tail -n 40 /tmp/run.log; exit 1; fi
echo "[inside] make run is ready, \$((\$(date +%s) - t0)) s after a fresh clone"
kill %1 2>/dev/null || true
wait 2>/dev/null || true
# What make run must not have installed (ADR 0080): a container runtime or the base
# image, Terraform's set-up, Helm, Node tools, a scanner.
heavy=""
for tool in podman runc mmdebstrap node npm; do
  if command -v "\$tool" >/dev/null; then heavy="\$heavy \$tool"; fi
done
for path in .cache/bin/helm .cache/bin/checkov .cache/terraform .cache/container .cache/containers; do
  if [ -e "\$path" ]; then heavy="\$heavy \$path"; fi
done
if [ -n "\$heavy" ]; then echo "[inside] make run installed what it does not use:\$heavy"; exit 1; fi
echo "[inside] make run installed no container, Terraform, Helm, Node or scanner tool"
t0=\$(date +%s)
echo "[inside] make setup (everything else the README's commands use)"
make setup
echo "[inside] make setup took \$((\$(date +%s) - t0)) s"
echo "[inside] checks: $(echo "$CHECKS" | tr '\n' ' ')"
# make puts .cache/bin (uv, helm, checkov) first on PATH; a single check outside make
# needs the same.
PATH="$REPO_IN/.cache/bin:\$PATH" uv run --frozen pytest -q -p no:cacheprovider $(echo "$CHECKS" | tr '\n' ' ')
# Infrastructure: one environment root validated with the real provider (init from the
# committed lock file through the CLI configuration make setup wrote). Every module and
# root is validated by make test-infra; one is enough to prove the toolchain here.
echo "[inside] terraform validate infra/live/dev"
TF_CLI_CONFIG_FILE="$REPO_IN/.cache/terraform/cli.tfrc" terraform -chdir=infra/live/dev init -backend=false -lockfile=readonly -input=false >/dev/null
TF_CLI_CONFIG_FILE="$REPO_IN/.cache/terraform/cli.tfrc" terraform -chdir=infra/live/dev validate -no-color
if [ -n "$MAKE_TARGETS" ]; then
  echo "[inside] make $MAKE_TARGETS"
  make --no-print-directory $MAKE_TARGETS
fi
echo "[inside] REHEARSAL PASSED"
EOF
)"

say "inside the clean machine"
# Own mount namespace: the binds vanish when it ends. Own pid namespace: every process
# started inside (make run's emulator and server) dies with it.
# shellcheck disable=SC2016 # expanded by the inner shell, from its arguments
unshare --mount --pid --fork --propagation private bash -euo pipefail -c '
  rootfs="$1"; mirror="$2"; caches="$3"; python_dir="$4"; shift 4
  # The root must be a mount point, as on a real machine: podman (containers-storage)
  # remounts / when it unpacks an image layer.
  mount --bind "$rootfs" "$rootfs"
  mount -t proc proc "$rootfs/proc"
  mount --rbind /sys "$rootfs/sys"
  mount --rbind /dev "$rootfs/dev"
  mount -t tmpfs tmpfs "$rootfs/tmp"
  mount --bind "$caches/apt" "$rootfs/var/cache/apt/archives"
  mount --bind "$caches/uv" "$rootfs/var/cache/uv"
  if [ -n "$mirror" ]; then mount --bind -o ro "$mirror" "$rootfs$mirror"; fi
  if [ -n "$python_dir" ]; then
    mount --bind -o ro "$python_dir" "$rootfs$python_dir"
  fi
  exec chroot "$rootfs" env -i "$@"
' _ "$ROOTFS" "$mirror" "$CACHES" "$python_dir" "${env_args[@]}" bash -c "$inside"
say "passed"
