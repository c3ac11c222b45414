#!/usr/bin/env bash
# The real bootstrap on an empty kind cluster (CI job `kind`): Argo CD from its pinned
# chart through gitops/argocd/bootstrap/bootstrap.sh, the root app, then every
# Application it creates must appear and sync; the ones that need no AWS must turn
# Healthy; finally drift: a replica count changed by hand must be reverted by Argo CD.
#
# Argo CD reads Git from this checkout: a throwaway commit on a local `main` (never
# pushed) points every repoURL at file:///repo, a bare copy mounted into the kind node
# and Argo CD's repo server (Argo CD's own e2e tests use file:// repositories,
# test/e2e/fixture/fixture.go at v3.0.6). The same commit adapts what kind cannot give:
# - StorageClass gp3 is provisioned by kind's local-path provisioner instead of EBS;
# - the two health checks that make the root app's waves wait for the Applications
#   (argoproj.io_Application and _ApplicationSet in argocd-cm) are dropped: without AWS
#   some Applications never turn Healthy (secrets from Secrets Manager, ALBs, nodes),
#   and the later waves must still be created here. The waiting itself is proven by
#   tests/delivery/test_platform.py, which runs those checks' Lua.
# Needs: kind, kubectl, helm, yq, git (GitHub's ubuntu runners; kind from helm/kind-action).
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVIRONMENT=dev
CLUSTER=depot-bootstrap
NODE_IMAGE="${KIND_NODE_IMAGE:?set KIND_NODE_IMAGE (pinned in .github/workflows/ci.yml)}"
REPO_URL=https://github.com/example-org/depot-platform.git

# Every Application on the cluster after bootstrap, as the whole-platform check lists
# them for this environment (tests/delivery/test_kind_bootstrap.py keeps them equal).
APPLICATIONS=(
  addon-alloy
  addon-argo-cd
  addon-argo-rollouts
  addon-aws-load-balancer-controller
  addon-blackbox-exporter
  addon-cloudwatch-exporter
  addon-external-secrets
  addon-karpenter
  addon-keda
  addon-kube-prometheus-stack
  addon-loki
  addon-metrics-server
  addon-policy-controller
  depot-dev
  platform
  platform-capacity
  platform-image-policy
  platform-observability
  root
  verifier-dev
)
# Those whose health needs nothing from AWS (no IRSA, EC2, S3, Secrets Manager,
# CloudWatch, ALB): they must also be Healthy here.
HEALTHY_WITHOUT_AWS=(
  addon-argo-rollouts
  addon-keda
  platform
)
# Drift: Argo CD's selfHeal must put this Deployment's replica count back.
DRIFT_APP=addon-argo-rollouts DRIFT_NAMESPACE=argo-rollouts DRIFT_DEPLOYMENT=argo-rollouts

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---- the repository Argo CD reads ------------------------------------------------------
# The repo server reads the bare repository at /repo (owned by another user: trust it).
# Merged into the Argo CD values of the throwaway commit, so the release bootstrap.sh
# installs and the one addon-argo-cd then adopts both keep the mount.
cat >"$WORK/argocd-kind.yaml" <<'YAML'
repoServer:
  volumes:
    - name: repo
      hostPath: {path: /repo, type: Directory}
  volumeMounts:
    - name: repo
      mountPath: /repo
      readOnly: true
  env:
    - {name: GIT_CONFIG_COUNT, value: "1"}
    - {name: GIT_CONFIG_KEY_0, value: safe.directory}
    - {name: GIT_CONFIG_VALUE_0, value: "*"}
YAML
git clone --quiet --no-hardlinks . "$WORK/src"
(
  cd "$WORK/src"
  git checkout --quiet -B main
  grep -rlF "$REPO_URL" gitops | xargs sed -i "s#$REPO_URL#file:///repo#g"
  yq -i '.provisioner = "rancher.io/local-path" | del(.parameters)' gitops/platform/storage/gp3.yaml
  yq -i 'del(.configs.cm["resource.customizations.health.argoproj.io_ApplicationSet"]) |
    del(.configs.cm["resource.customizations.health.argoproj.io_Application"])' \
    gitops/platform/addons/values/argo-cd.yaml
  yq -i ". *= load(\"$WORK/argocd-kind.yaml\")" gitops/platform/addons/values/argo-cd.yaml
  git -c user.name=kind -c user.email=kind@localhost commit --quiet -am "kind: local repository"
)
git clone --quiet --bare "$WORK/src" "$WORK/repo"
chmod -R a+rX "$WORK/repo"

cat >"$WORK/kind.yaml" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraMounts:
      - hostPath: $WORK/repo
        containerPath: /repo
        readOnly: true
YAML
kind create cluster --name "$CLUSTER" --image "$NODE_IMAGE" --config "$WORK/kind.yaml" --wait 120s
kubectl config use-context "kind-$CLUSTER"


# ---- the bootstrap, as a person runs it ---------------------------------------------
bash "$WORK/src/gitops/argocd/bootstrap/bootstrap.sh" "$ENVIRONMENT"

# ---- wait: every Application Synced, the AWS-free ones Healthy ----------------------
field() { # application, jsonpath
  kubectl -n argocd get application "$1" -o "jsonpath=$2" 2>/dev/null || true
}
contains() { # needle, haystack...
  local needle="$1"; shift
  for item in "$@"; do [ "$item" = "$needle" ] && return 0; done
  return 1
}
deadline=$((SECONDS + 1500))
while :; do
  pending=()
  for app in "${APPLICATIONS[@]}"; do
    sync="$(field "$app" '{.status.sync.status}')" health="$(field "$app" '{.status.health.status}')"
    if [ "$sync" != Synced ]; then pending+=("$app:${sync:-absent}"); continue; fi
    if contains "$app" "${HEALTHY_WITHOUT_AWS[@]}" && [ "$health" != Healthy ]; then
      pending+=("$app:$health")
    fi
  done
  [ "${#pending[@]}" -eq 0 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "FAILED: not converged: ${pending[*]}" >&2
    kubectl -n argocd get applications -o wide >&2 || true
    exit 1
  fi
  sleep 15
done
extra="$(kubectl -n argocd get applications -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | sort)"
if [ "$extra" != "$(printf '%s\n' "${APPLICATIONS[@]}" | sort)" ]; then
  echo "FAILED: the cluster has other Applications than expected:" >&2
  echo "$extra" >&2
  exit 1
fi
echo "ok: ${#APPLICATIONS[@]} Applications Synced; Healthy: ${HEALTHY_WITHOUT_AWS[*]}" >&2

# ---- drift: a hand edit is reverted ------------------------------------------------
want="$(kubectl -n "$DRIFT_NAMESPACE" get deployment "$DRIFT_DEPLOYMENT" -o jsonpath='{.spec.replicas}')"
kubectl -n "$DRIFT_NAMESPACE" scale deployment "$DRIFT_DEPLOYMENT" --replicas=$((want + 3))
for _ in $(seq 1 40); do
  now="$(kubectl -n "$DRIFT_NAMESPACE" get deployment "$DRIFT_DEPLOYMENT" -o jsonpath='{.spec.replicas}')"
  if [ "$now" = "$want" ]; then
    echo "ok: $DRIFT_APP reverted the hand-made replica count to $want" >&2
    exit 0
  fi
  sleep 6
done
echo "FAILED: $DRIFT_APP left replicas at $now (Git says $want)" >&2
exit 1
