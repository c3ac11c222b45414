#!/usr/bin/env bash
# Commit the environment file changes in the working tree to a new branch and open a
# pull request against main. Used by the release and promote workflows.
#   open-deploy-pr.sh <branch> <title> <body>     (GH_TOKEN: a GitHub App token)
set -euo pipefail
branch="${1:?branch}" title="${2:?title}" body="${3:?body}"
: "${GH_TOKEN:?GH_TOKEN must be a GitHub App installation token}"
if git diff --quiet -- gitops/environments; then
  echo "gitops/environments already at the requested image; no pull request needed" >&2
  exit 0
fi
git config user.name "depot-deploy[bot]"
git config user.email "depot-deploy[bot]@users.noreply.github.com"
git switch -c "$branch"
git add -- gitops/environments
git commit -m "$title" -m "$body"
# The checkout keeps no credentials; the App token is used for this one push.
git push "https://x-access-token:${GH_TOKEN}@github.com/${GITHUB_REPOSITORY}.git" "HEAD:refs/heads/$branch"
gh pr create --base main --head "$branch" --title "$title" --body "$body"
