"""The whole platform as one Argo CD would apply it to one cluster, and the rules it must keep.

`build(env, profile)` starts where bootstrap.sh stops: the root Application
(gitops/argocd/bootstrap/root.yaml) renders the directory gitops/argocd; every
Application in it and every Application its ApplicationSets generate (the cluster
generator sees one in-cluster destination labelled with the environment) is rendered
the way Argo CD's repo server renders its sources:

- a local chart (`path` with a Chart.yaml): `helm template` with the release name, the
  destination namespace and the valueFiles in their order;
- a local directory: its YAML files (recursively when `directory.recurse`, filtered by
  `directory.include`);
- a remote chart: not reachable here, so only what our values make it render verbatim
  (`extraObjects` / `extraManifests`, keys verified in docs/pins/charts.yaml) plus the
  objects the chart is known to bring (ADDONS below: its CRDs, IngressClass, service
  account), each named with the chart source it was read from.

The rule functions each return a list of violations (empty = the rule holds) so the
tests can also feed them crafted platforms that must be refused.
"""

from __future__ import annotations

import copy
import fnmatch
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from tests.delivery.appsets import IN_CLUSTER, clusters_for, expand

Obj = dict[str, Any]
ROOT_APP = "gitops/argocd/bootstrap/root.yaml"
KUBE_VERSION = "1.33.0"
WAVE = "argocd.argoproj.io/sync-wave"
ROLE_ARN = "eks.amazonaws.com/role-arn"
PART_OF = "app.kubernetes.io/part-of"

# What an add-on chart brings that other Applications use. Read from each chart's source
# at the pinned version (docs/pins/charts.yaml has the tag and commit): the CRD kinds
# from its crds/ or templates/crds/ (external-secrets: deploy/crds, which the chart
# packages), the IngressClass from aws-load-balancer-controller's ingressclass.yaml:
#   crds          group -> kinds of the CustomResourceDefinitions the chart installs
#   cluster_kinds those kinds that are cluster-scoped (CRD spec.scope: Cluster)
#   extra         the values key whose list the chart renders verbatim
#   objects       other objects the chart renders with our values
ADDONS: dict[str, dict[str, Any]] = {
    "argo-cd": {
        # Installed first by bootstrap.sh (same chart and values), adopted by addon-argo-cd.
        "crds": {"argoproj.io": ["Application", "ApplicationSet", "AppProject"]},
        "extra": "extraObjects",
    },
    "argo-rollouts": {
        "crds": {
            "argoproj.io": [
                "Rollout",
                "AnalysisTemplate",
                "ClusterAnalysisTemplate",
                "AnalysisRun",
                "Experiment",
            ]
        },
        "cluster_kinds": ["ClusterAnalysisTemplate"],
    },
    "aws-load-balancer-controller": {
        "crds": {"elbv2.k8s.aws": ["TargetGroupBinding", "IngressClassParams"]},
        "cluster_kinds": ["IngressClassParams"],
        # createIngressClassResource: true, ingressClass: alb (chart defaults).
        "objects": [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": "alb"},
            }
        ],
    },
    "external-secrets": {
        "crds": {
            "external-secrets.io": [
                "ExternalSecret",
                "SecretStore",
                "ClusterSecretStore",
                "ClusterExternalSecret",
                "PushSecret",
                "ClusterPushSecret",
            ]
        },
        "cluster_kinds": ["ClusterSecretStore", "ClusterExternalSecret", "ClusterPushSecret"],
        "extra": "extraObjects",
    },
    "kube-prometheus-stack": {
        "crds": {
            "monitoring.coreos.com": [
                "Prometheus",
                "Alertmanager",
                "ServiceMonitor",
                "PodMonitor",
                "PrometheusRule",
                "Probe",
                "AlertmanagerConfig",
                "ScrapeConfig",
                "ThanosRuler",
                "PrometheusAgent",
            ]
        },
        "extra": "extraManifests",
    },
    "keda": {
        "crds": {
            "keda.sh": [
                "ScaledObject",
                "ScaledJob",
                "TriggerAuthentication",
                "ClusterTriggerAuthentication",
            ],
            "eventing.keda.sh": ["CloudEventSource", "ClusterCloudEventSource"],
        },
        "cluster_kinds": ["ClusterTriggerAuthentication", "ClusterCloudEventSource"],
    },
    "karpenter": {
        "crds": {"karpenter.sh": ["NodePool", "NodeClaim"], "karpenter.k8s.aws": ["EC2NodeClass"]},
        "cluster_kinds": ["NodePool", "NodeClaim", "EC2NodeClass"],
    },
    # sigstore/helm-charts policy-controller-0.10.6: templates/crds/clusterimagepolicy.yaml
    # and trustroots.yaml (both scope: Cluster); its ServiceAccount is webhook.serviceAccount
    # (templates/webhook/sa_webhook.yaml).
    "policy-controller": {
        "crds": {"policy.sigstore.dev": ["ClusterImagePolicy", "TrustRoot"]},
        "cluster_kinds": ["ClusterImagePolicy", "TrustRoot"],
        "service_account": "webhook.serviceAccount",
    },
}

BUILTIN_CLUSTER_KINDS = {
    ("", "Namespace"),
    ("", "PersistentVolume"),
    ("", "Node"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("apiregistration.k8s.io", "APIService"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "StorageClass"),
    ("networking.k8s.io", "IngressClass"),
}

# API groups the Kubernetes API server serves itself (1.33); any other group needs a CRD
# from an add-on.
BUILTIN_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "certificates.k8s.io",
    "node.k8s.io",
    "flowcontrol.apiserver.k8s.io",
}

# What an EKS cluster has before Argo CD applies anything (docs/delivery.md, "What EKS
# provides"). Everything else a manifest refers to must come from the platform itself.
EKS_PROVIDES: dict[tuple[str, str], set[str]] = {
    ("storage.k8s.io", "StorageClass"): {"gp2"},
    ("scheduling.k8s.io", "PriorityClass"): {"system-cluster-critical", "system-node-critical"},
    ("rbac.authorization.k8s.io", "ClusterRole"): {"view", "edit", "admin", "cluster-admin"},
    ("", "Namespace"): {"default", "kube-system", "kube-public", "kube-node-lease"},
}

# Remote charts whose values name a StorageClass (None = the chart leaves it unset: the
# cluster's default class), and the objects values of other charts point at.
STORAGE_CLASS_VALUES = {
    "kube-prometheus-stack": "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec"
    ".storageClassName",
    "loki": "singleBinary.persistence.storageClass",
}
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Rollout"}


@dataclass
class App:
    """One Application and what it would apply."""

    name: str
    spec: Obj
    parent: str  # the root-level object that creates it: itself, or its ApplicationSet
    objects: list[Obj] = field(default_factory=list)
    chart: str = ""  # remote chart name, for add-ons
    values: Obj = field(default_factory=dict)  # merged values of a remote chart

    @property
    def project(self) -> str:
        return str(self.spec["project"])

    @property
    def namespace(self) -> str:
        return str(self.spec["destination"].get("namespace", ""))


@dataclass
class Platform:
    env: str
    profile: str
    root: Path
    apps: dict[str, App]
    projects: dict[str, Obj]
    waves: dict[str, int]  # root-level object name -> sync wave
    argocd_values: Obj


# ---- building -----------------------------------------------------------------------


def _group(obj: Obj) -> str:
    api = str(obj.get("apiVersion", ""))
    return api.split("/")[0] if "/" in api else ""


def _load_dir(folder: Path, directory: Obj) -> list[Obj]:
    """A directory source as the repo server reads it (getPotentiallyValidManifests,
    reposerver/repository/repository.go, Argo CD v3.0.6): .yaml/.yml/.json files, below
    sub-folders only with `recurse`; `include`/`exclude` are globs on the path relative
    to the source folder whose `*` also crosses `/` (util/glob without separators)."""
    recurse = bool(directory.get("recurse"))
    files = sorted(folder.rglob("*") if recurse else folder.glob("*"))
    docs: list[Obj] = []
    for path in files:
        if path.suffix not in {".yaml", ".yml", ".json"} or not path.is_file():
            continue
        relative = str(path.relative_to(folder))
        if directory.get("exclude") and fnmatch.fnmatchcase(relative, directory["exclude"]):
            continue
        if directory.get("include") and not fnmatch.fnmatchcase(relative, directory["include"]):
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def deep_merge(base: Obj, override: Obj) -> Obj:
    """Helm's merge of values files: maps merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def dig(values: Obj, dotted: str) -> Any:
    current: Any = values
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _value_files(root: Path, source: Obj, refs: set[str]) -> Iterator[Path]:
    helm = source.get("helm", {})
    for entry in helm.get("valueFiles", []):
        ref, _, relative = entry.partition("/")
        if ref.startswith("$") and ref[1:] in refs:
            path = root / relative
        else:
            path = root / source["path"] / entry
        if path.is_file():
            yield path
        elif not helm.get("ignoreMissingValueFiles"):
            raise FileNotFoundError(f"values file {path} is missing")


def helm_template(helm: str, root: Path, app: Obj, source: Obj, refs: set[str]) -> list[Obj]:
    command = [
        helm,
        "template",
        source.get("helm", {}).get("releaseName", app["metadata"]["name"]),
        str(root / source["path"]),
        "--namespace",
        app["spec"]["destination"]["namespace"],
        "--kube-version",
        KUBE_VERSION,
    ]
    # The add-ons serve these API versions before any tenant syncs (the ordering rule
    # below proves it), so the chart's Capabilities checks see them as Argo CD's do.
    for addon in ADDONS.values():
        for group in addon["crds"]:
            command += ["--api-versions", f"{group}/v1", "--api-versions", f"{group}/v1alpha1"]
    for path in _value_files(root, source, refs):
        command += ["--values", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{app['metadata']['name']}: helm template failed: {result.stderr}")
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def addon_objects(chart: str, values: Obj) -> list[Obj]:
    known = ADDONS.get(chart, {})
    objects: list[Obj] = []
    for group, kinds in known.get("crds", {}).items():
        for kind in kinds:
            objects.append(
                {
                    "apiVersion": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "metadata": {"name": f"{kind.lower()}s.{group}"},
                    "spec": {
                        "group": group,
                        "names": {"kind": kind},
                        "scope": "Cluster"
                        if kind in known.get("cluster_kinds", [])
                        else "Namespaced",
                    },
                }
            )
    objects.extend(copy.deepcopy(known.get("objects", [])))
    if known.get("extra"):
        objects.extend(copy.deepcopy(values.get(known["extra"]) or []))
    account = dig(values, known.get("service_account", "serviceAccount")) or {}
    if account.get("create", True) and account.get("name"):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": account["name"],
                    "annotations": account.get("annotations", {}),
                },
            }
        )
    return objects


def render_app(root: Path, helm: str | None, app: Obj) -> tuple[list[Obj], str, Obj]:
    spec = app["spec"]
    sources = spec.get("sources") or [spec["source"]]
    refs = {s["ref"] for s in sources if "ref" in s}
    objects: list[Obj] = []
    chart, values = "", cast(Obj, {})
    for source in sources:
        if "ref" in source:
            continue
        if "chart" in source:
            chart = source["chart"]
            for path in _value_files(root, source, refs):
                values = deep_merge(values, yaml.safe_load(path.read_text()) or {})
            objects += addon_objects(chart, values)
        elif (root / source["path"] / "Chart.yaml").is_file():
            if helm is None:
                raise RuntimeError("helm is needed to render local charts")
            objects += helm_template(helm, root, app, source, refs)
        else:
            objects += _load_dir(root / source["path"], source.get("directory", {}))
    return objects, chart, values


def _with_profile(app: Obj, profile: str) -> Obj:
    """A service Application rendered with another deployment profile than its file names."""
    for source in app["spec"].get("sources", []):
        files = source.get("helm", {}).get("valueFiles", [])
        source.get("helm", {})["valueFiles"] = [
            re.sub(r"gitops/profiles/[^/]+\.yaml$", f"gitops/profiles/{profile}.yaml", f)
            for f in files
        ]
    return app


def build(root: Path, env: str, profile: str, helm: str | None) -> Platform:
    root_app = yaml.safe_load((root / ROOT_APP).read_text())
    source = root_app["spec"]["source"]
    top = _load_dir(root / source["path"], source.get("directory", {}))
    projects = {d["metadata"]["name"]: d for d in top if d["kind"] == "AppProject"}
    waves = {
        d["metadata"]["name"]: int(d["metadata"].get("annotations", {}).get(WAVE, "0"))
        for d in top
        if d["kind"] in {"Application", "ApplicationSet"}
    }
    apps: dict[str, App] = {"root": App("root", root_app["spec"], "root", top)}
    generated: list[tuple[Obj, str]] = []
    for doc in top:
        if doc["kind"] == "Application" and doc["metadata"]["name"] != "root":
            generated.append((doc, doc["metadata"]["name"]))
        elif doc["kind"] == "ApplicationSet":
            for app in expand(root, doc, clusters_for([env])):
                generated.append((_with_profile(app, profile), doc["metadata"]["name"]))
    for app, parent in generated:
        objects, chart, values = render_app(root, helm, app)
        name = app["metadata"]["name"]
        apps[name] = App(name, app["spec"], parent, objects, chart, values)
    argocd = apps.get("addon-argo-cd")
    return Platform(env, profile, root, apps, projects, waves, argocd.values if argocd else {})


# ---- scope and identity -------------------------------------------------------------


def crd_scopes(platform: Platform) -> dict[tuple[str, str], str]:
    scopes: dict[tuple[str, str], str] = {}
    for app in platform.apps.values():
        for obj in app.objects:
            if obj["kind"] == "CustomResourceDefinition":
                spec = obj["spec"]
                scopes[(spec["group"], spec["names"]["kind"])] = spec["scope"]
    return scopes


def is_namespaced(obj: Obj, scopes: dict[tuple[str, str], str]) -> bool:
    key = (_group(obj), obj["kind"])
    if key in BUILTIN_CLUSTER_KINDS:
        return False
    return scopes.get(key, "Namespaced") == "Namespaced"


def identity(app: App, obj: Obj, scopes: dict[tuple[str, str], str]) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name) as Argo CD tracks it; namespaced objects without a
    namespace land in the Application's destination namespace."""
    namespace = ""
    if is_namespaced(obj, scopes):
        namespace = obj["metadata"].get("namespace") or app.namespace
    return (_group(obj), obj["kind"], namespace, obj["metadata"]["name"])


def _everything(platform: Platform) -> Iterator[tuple[App, Obj, tuple[str, str, str, str]]]:
    scopes = crd_scopes(platform)
    for app in platform.apps.values():
        for obj in app.objects:
            yield app, obj, identity(app, obj, scopes)


# ---- rule 1: AppProject permissions ---------------------------------------------------


def _in_list(group: str, kind: str, rules: list[Obj] | None) -> bool:
    # isResourceInList (pkg/apis/application/v1alpha1/types.go, Argo CD v3.0.6): kind and
    # group are globs (filepath.Match).
    return any(
        fnmatch.fnmatchcase(kind, r.get("kind", ""))
        and fnmatch.fnmatchcase(group, r.get("group", ""))
        for r in rules or []
    )


def group_kind_permitted(project: Obj, group: str, kind: str, namespaced: bool) -> bool:
    """AppProject.IsGroupKindPermitted (app_project_types.go, Argo CD v3.0.6): a namespaced
    kind passes when the whitelist is absent (nil) or lists it, and the blacklist does not;
    a cluster-scoped kind only when the cluster whitelist lists it (empty = none)."""
    spec = project["spec"]
    if namespaced:
        white = spec.get("namespaceResourceWhitelist")
        allowed = "namespaceResourceWhitelist" not in spec or _in_list(group, kind, white)
        return allowed and not _in_list(group, kind, spec.get("namespaceResourceBlacklist"))
    allowed = _in_list(group, kind, spec.get("clusterResourceWhitelist"))
    return allowed and not _in_list(group, kind, spec.get("clusterResourceBlacklist"))


def destination_permitted(project: Obj, server: str, namespace: str) -> bool:
    return any(
        fnmatch.fnmatchcase(server, d.get("server", ""))
        and fnmatch.fnmatchcase(namespace, d.get("namespace", ""))
        for d in project["spec"].get("destinations", [])
    )


def project_violations(platform: Platform) -> list[str]:
    """Every object passes the sync's permission validator (controller/sync.go v3.0.6):
    its group/kind is permitted and, if namespaced, its namespace is a destination."""
    errors: list[str] = []
    for app, _, (group, kind, namespace, name) in _everything(platform):
        project = platform.projects.get(app.project)
        if project is None:
            errors.append(f"{app.name}: AppProject {app.project} is not defined")
            continue
        server = app.spec["destination"].get("server", IN_CLUSTER)
        if not group_kind_permitted(project, group, kind, bool(namespace)):
            errors.append(f"{app.name}: {group}/{kind} {name} is not permitted in {app.project}")
        elif namespace and not destination_permitted(project, server, namespace):
            errors.append(
                f"{app.name}: {kind} {namespace}/{name}: namespace {namespace} is not a "
                f"destination of AppProject {app.project}"
            )
    return errors


# ---- rule 2: one owner per object ---------------------------------------------------


def ownership_violations(platform: Platform) -> list[str]:
    owners: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for app, _, key in _everything(platform):
        owners[key].append(app.name)
    return [
        f"{key[1]} {key[2]}/{key[3]} is owned by {sorted(apps)}"
        for key, apps in owners.items()
        if len(apps) > 1
    ]


# ---- rule 3: every reference resolves ---------------------------------------------


@dataclass
class Inventory:
    objects: dict[tuple[str, str, str, str], Obj]
    namespace_labels: dict[str, dict[str, str]]

    def has(self, group: str, kind: str, namespace: str, name: str) -> bool:
        if name in EKS_PROVIDES.get((group, kind), set()):
            return True
        return (group, kind, namespace, name) in self.objects

    def secret(self, namespace: str, name: str) -> bool:
        """A Secret from Git, or the target of an ExternalSecret in that namespace."""
        return self.secret_labels(namespace, name) is not None

    def secret_labels(self, namespace: str, name: str) -> dict[str, str] | None:
        """The labels the Secret will carry, or None when nothing creates it."""
        found = self.objects.get(("", "Secret", namespace, name))
        if found is not None:
            return dict(found["metadata"].get("labels", {}))
        for key, obj in self.objects.items():
            target = obj["spec"].get("target", {}) if key[1] == "ExternalSecret" else {}
            if (
                key[1] == "ExternalSecret"
                and key[2] == namespace
                and (target.get("name") or key[3]) == name
            ):
                return dict(target.get("template", {}).get("metadata", {}).get("labels", {}))
        return None


def inventory(platform: Platform) -> Inventory:
    objects = {key: obj for _, obj, key in _everything(platform)}
    labels: dict[str, dict[str, str]] = {n: {} for n in EKS_PROVIDES[("", "Namespace")]}
    for app in platform.apps.values():
        options = app.spec.get("syncPolicy", {}).get("syncOptions", [])
        if "CreateNamespace=true" in options:
            managed = app.spec["syncPolicy"].get("managedNamespaceMetadata", {})
            labels.setdefault(app.namespace, {}).update(managed.get("labels", {}))
    for key, obj in objects.items():
        if key[:2] == ("", "Namespace"):
            labels.setdefault(key[3], {}).update(obj["metadata"].get("labels", {}))
    for name, found in labels.items():
        found.setdefault("kubernetes.io/metadata.name", name)  # set by the API server
    return Inventory(objects, labels)


def _pod_spec(obj: Obj) -> Obj | None:
    if obj["kind"] not in POD_KINDS:
        return None
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec")  # type: ignore[no-any-return]


def _selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value, op = labels.get(expr["key"]), expr["operator"]
        if (op == "In" and value not in expr["values"]) or (
            op == "NotIn" and value in expr["values"]
        ):
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


def cluster_store_admits(store: Obj, namespace: str, labels: dict[str, str]) -> bool:
    """ClusterSecretStore conditions (external-secrets v0.18.2, ClusterSecretStoreCondition):
    no conditions = every namespace; otherwise one condition must match by name, regex or
    label selector."""
    conditions = store["spec"].get("conditions")
    if not conditions:
        return True
    for condition in conditions:
        if namespace in condition.get("namespaces", []):
            return True
        if any(re.search(r, namespace) for r in condition.get("namespaceRegexes", [])):
            return True
        selector = condition.get("namespaceSelector")
        if selector is not None and _selector_matches(selector, labels):
            return True
    return False


# IRSA roles the GitOps side already names and the infrastructure side has yet to
# create (a hand-off between two changes that land separately). Each entry is listed in
# the traceability table (docs/traceability.md) as open; test_platform fails once infra/
# has the role, so the entry cannot outlive the gap.
AWAITING_INFRA: dict[str, tuple[str, str]] = {}


def infra_irsa_roles(root: Path) -> dict[str, tuple[str, str]]:
    """Role-name suffix -> (namespace, service account) trusted, from infra/modules/eks/irsa.tf."""
    text = (root / "infra/modules/eks/irsa.tf").read_text()
    found = re.findall(
        r'^\s{4}([\w-]+) = \{\s*namespace\s*=\s*"([^"]+)"\s*service_account\s*=\s*"([^"]+)"',
        text,
        flags=re.MULTILINE,
    )
    return {name: (ns, sa) for name, ns, sa in found}


def irsa_roles(root: Path) -> dict[str, tuple[str, str]]:
    return {**AWAITING_INFRA, **infra_irsa_roles(root)}


def environment_account(root: Path, env: str) -> str:
    """The AWS account of an environment, as its Terraform root declares it."""
    tfvars = (root / "infra/live" / env / "terraform.tfvars").read_text()
    match = re.search(r'^account_id\s*=\s*"(\d{12})"', tfvars, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"infra/live/{env}/terraform.tfvars declares no account_id")
    return match.group(1)


def irsa_violation(platform: Platform, namespace: str, account: Obj) -> str | None:
    arn = account["metadata"].get("annotations", {}).get(ROLE_ARN)
    if not arn:
        return None
    name = account["metadata"]["name"]
    role = arn.rsplit("/", 1)[-1]
    expected_account = environment_account(platform.root, platform.env)
    if arn.split(":")[4] != expected_account:
        return f"ServiceAccount {namespace}/{name}: role {arn} is not in account {expected_account}"
    cluster = f"depot-{platform.env}"
    if role.startswith(f"{cluster}-"):
        trusted = irsa_roles(platform.root).get(role.removeprefix(f"{cluster}-"))
    elif role == f"{namespace}-{platform.env}":
        # infra/modules/environment: one service-identity role per service, trusting
        # system:serviceaccount:<service>:<service>.
        trusted = (namespace, namespace)
    else:
        trusted = None
    if trusted != (namespace, name):
        return f"ServiceAccount {namespace}/{name}: role {role} trusts {trusted}, not this account"
    return None


def reference_violations(platform: Platform) -> list[str]:
    inv = inventory(platform)
    errors: list[str] = []
    default_classes = {
        k[3]
        for k, o in inv.objects.items()
        if k[1] == "StorageClass"
        and o["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class")
        == "true"
    }

    def need(ok: bool, message: str) -> None:
        if not ok:
            errors.append(message)

    for app in platform.apps.values():
        path = STORAGE_CLASS_VALUES.get(app.chart)
        if path:
            name = dig(app.values, path)
            if name is None:
                need(bool(default_classes), f"{app.name}: {path} unset and no default StorageClass")
            else:
                need(
                    inv.has("storage.k8s.io", "StorageClass", "", name),
                    f"{app.name}: StorageClass {name} ({path}) exists nowhere",
                )
    for app, obj, (_, kind, ns, name) in _everything(platform):
        where = f"{app.name}: {kind} {ns}/{name}"
        spec = obj.get("spec", {})
        if kind == "ServiceAccount":
            problem = irsa_violation(platform, ns, obj)
            if problem:
                errors.append(f"{app.name}: {problem}")
        if kind == "ExternalSecret":
            ref = spec.get("secretStoreRef", {})
            if ref.get("kind") == "ClusterSecretStore":
                store = inv.objects.get(
                    ("external-secrets.io", "ClusterSecretStore", "", ref["name"])
                )
                need(store is not None, f"{where}: ClusterSecretStore {ref['name']} exists nowhere")
                if store is not None:
                    need(
                        cluster_store_admits(store, ns, inv.namespace_labels.get(ns, {})),
                        f"{where}: ClusterSecretStore {ref['name']} refuses namespace {ns}",
                    )
            else:
                need(
                    inv.has("external-secrets.io", "SecretStore", ns, ref.get("name", "")),
                    f"{where}: SecretStore {ns}/{ref.get('name')} exists nowhere",
                )
        if kind == "SecretStore":
            jwt = spec.get("provider", {}).get("aws", {}).get("auth", {}).get("jwt", {})
            account = jwt.get("serviceAccountRef", {}).get("name")
            if account:
                found = inv.objects.get(("", "ServiceAccount", ns, account))
                need(
                    found is not None and ROLE_ARN in found["metadata"].get("annotations", {}),
                    f"{where}: service account {account} has no IRSA role",
                )
        if kind == "Ingress":
            cls = spec.get("ingressClassName")
            need(
                cls is None or inv.has("networking.k8s.io", "IngressClass", "", cls),
                f"{where}: IngressClass {cls} exists nowhere",
            )
        if (
            kind in {"RoleBinding", "ClusterRoleBinding"}
            and obj["roleRef"]["kind"] == "ClusterRole"
        ):
            role = obj["roleRef"]["name"]
            need(
                inv.has("rbac.authorization.k8s.io", "ClusterRole", "", role),
                f"{where}: ClusterRole {role} exists nowhere",
            )
        pod = _pod_spec(obj)
        if pod is not None:
            account = pod.get("serviceAccountName", "default")
            need(
                account == "default" or inv.has("", "ServiceAccount", ns, account),
                f"{where}: ServiceAccount {account} exists nowhere",
            )
            priority = pod.get("priorityClassName")
            need(
                priority is None or inv.has("scheduling.k8s.io", "PriorityClass", "", priority),
                f"{where}: PriorityClass {priority} exists nowhere",
            )
            for secret in _pod_secrets(pod):
                need(inv.secret(ns, secret), f"{where}: Secret {secret} exists nowhere")
        if ns and not inv.namespace_labels.get(ns):
            errors.append(f"{where}: namespace {ns} is created by nobody")
    errors += _addon_value_references(platform, inv)
    errors += _tenant_isolation(inv)
    return errors


TENANT_LABEL = "platform.example.com/tenant"


def _tenant_isolation(inv: Inventory) -> list[str]:
    """A ClusterSecretStore reads with the External Secrets controller's role (the
    platform's secrets): no tenant namespace may reference it. Tenants read through their
    own SecretStore and IRSA role."""
    tenants = {
        n for n, labels in inv.namespace_labels.items() if labels.get(TENANT_LABEL) == "true"
    }
    return [
        f"ClusterSecretStore {key[3]} admits tenant namespace {tenant}"
        for key, store in inv.objects.items()
        if key[1] == "ClusterSecretStore"
        for tenant in sorted(tenants)
        if cluster_store_admits(store, tenant, inv.namespace_labels[tenant])
    ]


def _pod_secrets(pod: Obj) -> Iterator[str]:
    for volume in pod.get("volumes", []):
        secret = volume.get("secret")
        if secret and not secret.get("optional"):
            yield secret["secretName"]
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for source in container.get("envFrom", []):
            ref = source.get("secretRef")
            if ref and not ref.get("optional"):
                yield ref["name"]


def _addon_value_references(platform: Platform, inv: Inventory) -> list[str]:
    """Names that add-on values point at, which another Application must create."""
    errors: list[str] = []
    for app in platform.apps.values():
        ns, values = app.namespace, app.values
        wanted: list[tuple[str, str]] = []
        if app.chart == "kube-prometheus-stack":
            am = dig(values, "alertmanager.alertmanagerSpec") or {}
            wanted += [("Secret", s) for s in [am.get("configSecret"), *am.get("secrets", [])] if s]
        if app.chart == "alloy":
            config = dig(values, "alloy.configMap") or {}
            if config.get("create") is False:
                wanted.append(("ConfigMap", config["name"]))
        if app.chart == "argo-cd":
            if dig(values, "notifications.secret.create") is False:
                wanted.append(("Secret", "argocd-notifications-secret"))
            for config in (dig(values, "configs.cm") or {}).values():
                for name in re.findall(r"\$([\w-]+):", str(config)):
                    # Argo CD resolves `$<secret>:<key>` only in a Secret labelled
                    # part-of: argocd (docs/operator-manual/user-management, v3.0.6).
                    labels = inv.secret_labels(ns, name)
                    if labels is not None and labels.get(PART_OF) != "argocd":
                        errors.append(f"{app.name}: Secret {ns}/{name} lacks {PART_OF}=argocd")
                    wanted.append(("Secret", name))
        for kind, name in wanted:
            ok = inv.secret(ns, name) if kind == "Secret" else inv.has("", kind, ns, name)
            if not ok:
                errors.append(f"{app.name}: values name {kind} {ns}/{name}, which exists nowhere")
    return errors


# ---- rule 4: custom resources only after the add-on that serves them is healthy ----------


def crd_providers(platform: Platform) -> dict[tuple[str, str], str]:
    """(group, kind) -> the Application whose chart installs its CRD."""
    providers: dict[tuple[str, str], str] = {}
    for app in platform.apps.values():
        if app.chart in ADDONS:
            for group, kinds in ADDONS[app.chart]["crds"].items():
                for kind in kinds:
                    providers[(group, kind)] = app.name
    return providers


def health_check(platform: Platform, kind: str) -> str | None:
    """The Lua health check configured in argocd-cm for an Argo CD kind, if any."""
    cm = dig(platform.argocd_values, "configs.cm") or {}
    return cm.get(f"resource.customizations.health.argoproj.io_{kind}")


def run_health(script: str, obj: Obj) -> str:
    """Run a health Lua the way Argo CD does (gopher-lua is Lua 5.1; `obj` is the object)."""
    import lupa.lua51 as lua

    runtime = lua.LuaRuntime(unpack_returned_tuples=True)

    def to_lua(value: Any) -> Any:
        if isinstance(value, dict):
            return runtime.table_from({k: to_lua(v) for k, v in value.items()})
        if isinstance(value, list):
            return runtime.table_from([to_lua(v) for v in value])
        return value

    function = runtime.eval(f"function(obj)\n{script}\nend")
    return str(function(to_lua(obj))["status"])


def gates_on_children(platform: Platform, parent_kind: str) -> bool:
    """Whether the root app, waiting for this parent to be Healthy, waits for its children
    to be Synced and Healthy. Argo CD does not assess an Application's health in its
    parent by default since 1.8 (docs/operator-manual/health.md), and its built-in
    ApplicationSet check is Healthy once the Applications exist; only a configured check
    that reads the children's state makes the wave wait. Tried on two statuses."""
    script = health_check(platform, parent_kind)
    if script is None:
        return False
    waiting: Obj
    done: Obj
    if parent_kind == "Application":
        waiting = {"status": {"health": {"status": "Progressing"}, "sync": {"status": "Synced"}}}
        done = {"status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}}}
    else:
        ready = [{"type": "ResourcesUpToDate", "status": "True", "message": "ok"}]
        child = {"group": "argoproj.io", "kind": "Application", "name": "a", "status": "Synced"}
        waiting = {
            "status": {
                "conditions": ready,
                "resources": [{**child, "health": {"status": "Progressing"}}],
            }
        }
        done = {
            "status": {
                "conditions": ready,
                "resources": [{**child, "health": {"status": "Healthy"}}],
            }
        }
    return run_health(script, waiting) != "Healthy" and run_health(script, done) == "Healthy"


def _skips_dry_run(obj: Obj) -> bool:
    options = obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options", "")
    return "SkipDryRunOnMissingResource=true" in options


def ordering_violations(platform: Platform) -> list[str]:
    """Every custom resource is applied after the Application that installs its CRD is
    Synced and Healthy, given how the root app orders its children:

    - same Application: the CRD and its resources are applied in one sync, CRDs first
      (gitops-engine at the commit Argo CD v3.0.6 uses, 89c110b5952e: pkg/sync/
      sync_tasks.go orders CustomResourceDefinition before custom kinds, and
      sync_context.go skips the dry run of a kind whose CRD is in the same sync);
    - otherwise the owner's root-level parent must be in a later sync wave of the root
      app than the provider's, and that parent's health must wait for its children;
    - siblings of one ApplicationSet sync in parallel: allowed only for an object that
      skips the dry run (SkipDryRunOnMissingResource, same sync_context.go) and whose
      Application retries: its first apply may fail, a retry after the CRD lands passes.
    """
    providers = crd_providers(platform)
    errors: list[str] = []
    for app, obj, (group, kind, ns, name) in _everything(platform):
        provider = providers.get((group, kind))
        if provider is None and group not in BUILTIN_GROUPS:
            errors.append(f"{app.name}: {group}/{kind} {ns}/{name}: no add-on serves this kind")
        if provider is None or provider == app.name or app.name == "root":
            continue
        if providers.get((group, kind)) == "addon-argo-cd":
            continue  # Argo CD's own CRDs are installed by bootstrap.sh before the root app
        owner_parent, provider_parent = app.parent, platform.apps[provider].parent
        where = f"{app.name}: {kind} {ns}/{name} (CRD from {provider})"
        if owner_parent == provider_parent:
            retried = app.spec.get("syncPolicy", {}).get("retry", {}).get("limit", 0) > 0
            if not (_skips_dry_run(obj) and retried):
                errors.append(
                    f"{where}: syncs in parallel with its CRD without a retried, "
                    "dry-run-skipping apply"
                )
            continue
        owner_wave = platform.waves[owner_parent]
        provider_wave = platform.waves[provider_parent]
        if owner_wave <= provider_wave:
            errors.append(f"{where}: wave {owner_wave} is not after the add-on's {provider_wave}")
        parent_kind = "ApplicationSet" if provider_parent != provider else "Application"
        if not gates_on_children(platform, parent_kind):
            errors.append(
                f"{where}: the root app does not wait for {provider} to be healthy: "
                f"no health check makes {provider_parent} ({parent_kind}) wait"
            )
    return errors


# ---- rule 5: the autoscaler counts the SLI's traffic --------------------------------

_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def selector_of(query: str, metric: str = "http_requests_total") -> set[tuple[str, str, str]]:
    match = re.search(re.escape(metric) + r"\{([^}]*)\}", query)
    if match is None:
        raise ValueError(f"no {metric} selector in {query!r}")
    return set(_MATCHER.findall(match.group(1)))


def autoscaling_violations(platform: Platform) -> list[str]:
    errors: list[str] = []
    for app in platform.apps.values():
        rules = {
            rule["record"]: rule["expr"]
            for obj in app.objects
            if obj["kind"] == "PrometheusRule"
            for group in obj["spec"]["groups"]
            for rule in group["rules"]
            if "record" in rule
        }
        for obj in app.objects:
            if obj["kind"] != "ScaledObject":
                continue
            for trigger in obj["spec"]["triggers"]:
                if trigger["type"] != "prometheus":
                    continue
                sli = rules.get("service:http_requests:rate5m")
                if sli is None:
                    errors.append(f"{app.name}: no SLI rule service:http_requests:rate5m")
                    continue
                scaled, served = selector_of(trigger["metadata"]["query"]), selector_of(sli)
                if scaled != served:
                    errors.append(
                        f"{app.name}: ScaledObject {obj['metadata']['name']} counts "
                        f"{sorted(scaled)}, the SLI counts {sorted(served)}"
                    )
    return errors


RULES = {
    "project": project_violations,
    "ownership": ownership_violations,
    "references": reference_violations,
    "ordering": ordering_violations,
    "autoscaling": autoscaling_violations,
}


def application_names(platform: Platform) -> list[str]:
    """Every Application on the cluster after bootstrap (the kind job waits for these)."""
    return sorted(platform.apps)
