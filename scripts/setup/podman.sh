#!/usr/bin/env bash
# Container runtime for the image tests: podman + runc, mmdebstrap to assemble the
# base images locally (no image registry is reachable from the test machines), and
# slirp4netns: the conformance suite runs a service in a network namespace of its own
# (as in a pod) that still reaches the AWS emulator on the host's loopback.
#
# podman reads its configuration from files this script writes under .cache/containers
# (CONTAINERS_CONF / CONTAINERS_STORAGE_CONF point there; see mk/container.mk), so the
# machine's own container setup is never touched and the image cache lives with the
# project's other caches.
source "$(dirname "$0")/lib.sh"
# Docker's own packaging (containerd.io, as on GitHub's runners) ships runc itself and
# conflicts with Debian's runc: installing that would remove Docker. There, podman uses
# containerd.io's runc (the package provides it).
if dpkg -s containerd.io >/dev/null 2>&1; then
  apt_install podman mmdebstrap slirp4netns
else
  apt_install podman runc mmdebstrap slirp4netns
fi
# Without root (e.g. a CI runner user), podman and mmdebstrap map ids through
# newuidmap/newgidmap; as root they are not needed.
[ "$(id -u)" -eq 0 ] || apt_install uidmap

CONF_DIR="$CACHE/containers"
mkdir -p "$CONF_DIR/storage" "$CONF_DIR/run"

# crun fails on this machine kind (cgroup hybrid mode); runc works. podman's built-in
# default rlimits (nofile 1048576, nproc 4194304) are above the hard limits of many
# hosts and runc then refuses to start anything, so set limits every host allows.
cat >"$CONF_DIR/containers.conf.new" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

cat >"$CONF_DIR/storage.conf.new" <<EOF
[storage]
driver = "overlay"
graphroot = "$CONF_DIR/storage"
runroot = "$CONF_DIR/run"
EOF

# Rewrite only on change so an unchanged setup keeps file times (and podman state) stable.
for f in containers.conf storage.conf; do
  if cmp -s "$CONF_DIR/$f.new" "$CONF_DIR/$f"; then rm -f "$CONF_DIR/$f.new"; else mv "$CONF_DIR/$f.new" "$CONF_DIR/$f"; fi
done
