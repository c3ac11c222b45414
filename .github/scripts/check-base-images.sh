#!/usr/bin/env bash
# Every `ARG *_IMAGE=<ref>@sha256:<digest>` of a Dockerfile exists in its registry at that
# digest, checked before anything is built (CI job `image`). The test machines reach no
# image registry, so this is where the pins are first resolved; each resolved reference
# is written to the job summary as the record (docs/pins/images.yaml).
# Usage: check-base-images.sh DOCKERFILE   Needs: docker with buildx (GitHub's runners).
set -euo pipefail
dockerfile="${1:?usage: check-base-images.sh DOCKERFILE}"
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"

mapfile -t pins < <(sed -nE 's/^ARG ([A-Z_]+_IMAGE)=(.+)$/\1 \2/p' "$dockerfile")
if [ "${#pins[@]}" -eq 0 ]; then
  echo "::error file=$dockerfile::no ARG *_IMAGE=<ref>@sha256:<digest> found" >&2
  exit 1
fi
status=0
for pin in "${pins[@]}"; do
  name="${pin%% *}"; ref="${pin#* }"
  case "$ref" in *@sha256:*) ;; *)
    echo "::error file=$dockerfile::$name=$ref is not pinned by digest; pin it as <image>:<tag>@sha256:<digest>" >&2
    status=1; continue ;;
  esac
  # A digest written where no registry was reachable is committed as all zeros (ADR
  # 0052): refused by name, whatever a registry would answer.
  case "$ref" in *@sha256:0000000000000000000000000000000000000000000000000000000000000000)
    echo "::error file=$dockerfile::$name=$ref is the unverified placeholder digest" >&2
    echo "::error file=$dockerfile::fix: resolve ${ref%@*} (docker buildx imagetools inspect ${ref%@*}), set the digest in $dockerfile and docs/pins/images.yaml" >&2
    status=1; continue ;;
  esac
  if docker buildx imagetools inspect "$ref" >/dev/null 2>inspect.err; then
    echo "- \`$name\` resolves: \`$ref\`" >>"$summary"
  else
    echo "::error file=$dockerfile::$name=$ref does not resolve: $(tr '\n' ' ' <inspect.err)" >&2
    echo "::error file=$dockerfile::fix: look up the current digest of ${ref%@*} (docker buildx imagetools inspect ${ref%@*}), set it in $dockerfile and docs/pins/images.yaml" >&2
    status=1
  fi
  rm -f inspect.err
done
exit "$status"
