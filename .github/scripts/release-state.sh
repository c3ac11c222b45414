#!/usr/bin/env bash
# Is this release already done? Run before anything is built or pushed, so a re-run of a
# failed or interrupted release either goes on or stops with the reason (ECR tags are
# immutable: a second push of the same tag with a new digest is refused).
#
# Usage: release-state.sh REPOSITORY TAG IMAGE
#   REPOSITORY  the ECR repository name (depot); TAG the release tag (v1.2.3)
#   IMAGE       registry/repository, for cosign
# Env: GITHUB_SHA, GITHUB_REPOSITORY, GITHUB_OUTPUT (state=new|done, digest=sha256:...)
#
#   new   the tag is not in ECR: build, scan, push, sign.
#   done  the tag is in ECR and its digest carries a keyless signature made by this
#         repository's release workflow at this very commit: nothing to build; the
#         later jobs use the recorded digest.
#   exit 1 the tag is in ECR but not signed by this commit's release (a run that died
#         between push and sign, or a tag re-pointed at another commit): stop before
#         pushing and say what to do.
# Needs: aws (ECR read), cosign.
set -euo pipefail
repository="${1:?repository}"; tag="${2:?tag}"; image="${3:?image}"
out="${GITHUB_OUTPUT:-/dev/stdout}"

if ! digest="$(aws ecr describe-images --repository-name "$repository" \
  --image-ids "imageTag=$tag" --query 'imageDetails[0].imageDigest' --output text 2>ecr.err)"; then
  if grep -q ImageNotFoundException ecr.err; then
    rm -f ecr.err
    echo "state=new" >>"$out"
    echo "$repository:$tag is not in ECR yet: building and pushing" >&2
    exit 0
  fi
  echo "::error::cannot read $repository:$tag from ECR: $(cat ecr.err)" >&2
  rm -f ecr.err
  exit 1
fi
rm -f ecr.err

identity="^https://github.com/${GITHUB_REPOSITORY}/\\.github/workflows/release\\.yml@refs/tags/${tag//./\\.}$"
if cosign verify "$image@$digest" \
  --certificate-oidc-issuer https://token.actions.githubusercontent.com \
  --certificate-identity-regexp "$identity" \
  --certificate-github-workflow-sha "$GITHUB_SHA" >/dev/null 2>cosign.err; then
  rm -f cosign.err
  {
    echo "state=done"
    echo "digest=$digest"
  } >>"$out"
  echo "$repository:$tag is already pushed ($digest) and signed by this commit's release: going on" >&2
  exit 0
fi
echo "::error::$repository:$tag is already in ECR as $digest but carries no signature of this" \
  "commit's release ($GITHUB_SHA): $(tr '\n' ' ' <cosign.err)" >&2
echo "::error::ECR tags are immutable, so nothing is pushed. If that digest is the one this run" \
  "built (its org.opencontainers.image.revision label names the commit), sign it by hand with cosign sign" \
  "$image@$digest and re-run; otherwise release the next version (vX.Y.Z+1)." >&2
rm -f cosign.err
exit 1
