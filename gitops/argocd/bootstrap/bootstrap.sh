#!/usr/bin/env bash
# Bootstrap Argo CD on one environment's cluster, once. After this, Git is the only way
# to change the cluster: Argo CD adopts its own release and syncs everything else.
#
#   gitops/argocd/bootstrap/bootstrap.sh dev     (kubectl context = that cluster)
set -euo pipefail
ENVIRONMENT="${1:?usage: bootstrap.sh <environment: a folder under gitops/environments>}"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
[ -d "$ROOT/gitops/environments/$ENVIRONMENT" ] || {
  echo "unknown environment '$ENVIRONMENT': no folder gitops/environments/$ENVIRONMENT" >&2
  exit 2
}
# Same chart version and values as the addon-argo-cd Application, so the handover is a
# no-op diff. Read from the ApplicationSet to keep one pin. The ExternalSecret waits for
# its CRD (the external-secrets add-on), so the first install leaves it out.
ARGOCD_CHART_VERSION="$(awk '/chart: argo-cd$/{getline; print $2}' "$ROOT/gitops/argocd/addons.yaml")"
helm upgrade --install argocd argo-cd \
  --repo https://argoproj.github.io/argo-helm --version "$ARGOCD_CHART_VERSION" \
  --namespace argocd --create-namespace \
  --values "$ROOT/gitops/platform/addons/values/argo-cd.yaml" \
  --set-json extraObjects=[] --wait
# The in-cluster destination, labelled with its environment: the ApplicationSets'
# cluster generators read the label to pick gitops/environments/<env>/.
kubectl apply -f - <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: in-cluster
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    depot.example.org/environment: "$ENVIRONMENT"
stringData:
  name: in-cluster
  server: https://kubernetes.default.svc
YAML
kubectl apply -f "$ROOT/gitops/argocd/projects.yaml"
kubectl apply -f "$ROOT/gitops/argocd/bootstrap/root.yaml"
echo "Argo CD bootstrapped for $ENVIRONMENT; watch: kubectl -n argocd get applications" >&2
