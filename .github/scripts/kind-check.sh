#!/usr/bin/env bash
# The chart and the admission policies in a real API server (a kind cluster; CI job
# `kind`). What a schema check cannot show: the API server accepts every rendered
# object, and the ValidatingAdmissionPolicies admit the GitOps desired state of every
# environment while denying an image from outside the platform's registry.
# Needs: a kubectl context on a disposable cluster, helm, yq (preinstalled on GitHub's
# runners).
set -euo pipefail
cd "$(dirname "$0")/../.."
kubectl cluster-info >/dev/null 2>&1 || {
  echo "kind-check needs a disposable cluster in the current kubectl context (CI job 'kind')" >&2
  exit 2
}
KUBE_CONTEXT="$(kubectl config current-context)"
case "$KUBE_CONTEXT" in kind-*) ;; *)
  echo "refusing to run against '$KUBE_CONTEXT': kind-check only runs on kind-* contexts" >&2
  exit 2
  ;;
esac

# CRDs of the add-ons whose kinds the chart renders, at the versions pinned in
# gitops/argocd/addons.yaml (one pin, read from there).
install_crds() { # chart, extra helm args...
  local chart="$1"; shift
  local repo version
  repo="$(yq ".spec.generators[0].matrix.generators[1].list.elements[] | select(.chart == \"$chart\") | .repoURL" gitops/argocd/addons.yaml)"
  version="$(yq ".spec.generators[0].matrix.generators[1].list.elements[] | select(.chart == \"$chart\") | .version" gitops/argocd/addons.yaml)"
  echo "CRDs of $chart $version" >&2
  helm template crds "$chart" --repo "$repo" --version "$version" --include-crds "$@" \
    | yq 'select(.kind == "CustomResourceDefinition")' \
    | kubectl apply --server-side --force-conflicts -f - >/dev/null
}
install_crds kube-prometheus-stack
install_crds keda
install_crds argo-rollouts --set installCRDs=true
install_crds external-secrets --set installCRDs=true
kubectl wait --for=condition=Established crd --all --timeout=120s >/dev/null

# The platform layer, as the `platform` Application applies it.
for dir in gitops/platform/namespaces gitops/policies; do
  if compgen -G "$dir/*.yaml" >/dev/null; then
    kubectl apply --server-side -R -f "$dir"
  fi
done

render() { # service, environment
  local service="$1" env="$2" profile
  profile="$(yq '.profile' "gitops/environments/$env/$service.yaml")"
  helm template "$service" charts/service --namespace "$service" \
    --values "gitops/services/$service.yaml" \
    --values "gitops/profiles/$profile.yaml" \
    --values "gitops/environments/$env/$service.yaml"
}

status=0
for file in gitops/environments/*/*.yaml; do
  env="$(basename "$(dirname "$file")")" service="$(basename "$file" .yaml)"
  kubectl get namespace "$service" >/dev/null 2>&1 || kubectl create namespace "$service"
  echo "== $service in $env: server-side dry run through admission" >&2
  if ! render "$service" "$env" | kubectl apply --server-side --dry-run=server -f -; then
    echo "FAILED: $service/$env desired state rejected by the API server" >&2
    status=1
  fi
done

# The policies must deny what they exist to deny. They can take a few seconds to be
# enforced after creation, so retry a bounded number of times.
if compgen -G "gitops/policies/*.yaml" >/dev/null; then
  files=(gitops/environments/*/*.yaml)
  first="${files[0]}"
  env="$(basename "$(dirname "$first")")" service="$(basename "$first" .yaml)"
  foreign="$(render "$service" "$env" \
    | yq 'select(.kind == "Deployment" or .kind == "Rollout") | .spec.template.spec.containers[0].image = "docker.io/library/nginx:1.27"')"
  denied=0
  for _ in $(seq 1 15); do
    if ! output="$(printf '%s\n' "$foreign" | kubectl apply --server-side --dry-run=server -f - 2>&1)"; then
      echo "$output" | grep -qi "denied" && { denied=1; break; }
    fi
    sleep 2
  done
  if [ "$denied" -ne 1 ]; then
    echo "FAILED: an image outside the platform registry was admitted" >&2
    status=1
  else
    echo "ok: an image outside the platform registry is denied" >&2
  fi
else
  echo "FAILED: no admission policies in gitops/policies" >&2
  status=1
fi
exit "$status"
