#!/usr/bin/env bash
# The images that are deployed, as a JSON list for a workflow matrix: one entry per
# environment of a service (gitops/environments/<env>/<service>.yaml: image.tag,
# image.digest), e.g. [{"env":"dev","service":"depot","tag":"v0.1.0","digest":"sha256:…"}].
# Usage: deployed-images.sh [GITOPS_ENVIRONMENTS_DIR]
set -euo pipefail
dir="${1:-gitops/environments}"
entries=()
for file in "$dir"/*/*.yaml; do
  env="$(basename "$(dirname "$file")")"
  service="$(basename "$file" .yaml)"
  # The two keys under the top-level `image:` block, and nothing from other blocks.
  read -r tag digest < <(awk '
    /^image:/ { inside = 1; next }
    /^[^ #]/ { inside = 0 }
    inside && $1 == "tag:" { tag = $2 }
    inside && $1 == "digest:" { digest = $2 }
    END { print tag, digest }' "$file")
  if [ -z "$tag" ] || [ -z "$digest" ]; then continue; fi
  entries+=("{\"env\":\"$env\",\"service\":\"$service\",\"tag\":\"$tag\",\"digest\":\"$digest\"}")
done
(IFS=,; echo "[${entries[*]}]")
