"""Signed or refused (ADR 0015): tenant namespaces admit only images signed by this
repository's release workflow, by the Sigstore policy-controller's own semantics
(tests/policies/image_signatures.py, ported from its source at the pinned version).

What is proven here: the ClusterImagePolicy's glob covers every image the platform's
tenants run; its keyless identity is exactly the one release.yml signs with (derived from
the workflow file and platform-settings.yaml) and no other repository, workflow, branch,
pull request or non-release tag; unsigned and foreign images are refused; every tenant
namespace the platform creates is selected by the webhook and no system namespace is.
What is not: the signature cryptography (Fulcio chain, Rekor inclusion, the bundle in the
OCI referrer), which only the controller against Sigstore and ECR performs; the `kind`
job and a real cluster are where that runs.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.delivery import platform as p
from tests.policies.image_signatures import (
    Certificate,
    Controller,
    glob_match,
    go_regexp_matches,
    reference_name,
)
from tests.support.tools import ROOT, require_tool

Obj = dict[str, Any]
RELEASE = ROOT / ".github/workflows/release.yml"
SETTINGS = ROOT / "platform-settings.yaml"
IMAGE_POLICIES = ROOT / "gitops/platform/image-policy"
VALUES = ROOT / "gitops/platform/addons/values/policy-controller.yaml"
SCHEMA = Path(__file__).parent / "fixtures/clusterimagepolicy-v1beta1.json"
# The OIDC issuer of GitHub Actions tokens, which Fulcio writes into the certificate
# (release-state.sh verifies re-runs against the same issuer).
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
INCLUDE = "policy.sigstore.dev/include"
TENANT = "platform.example.com/tenant"
DIGEST = "sha256:" + "ab" * 32


# ---- the identity release.yml signs with ------------------------------------------------


def _load_workflow(path: Path) -> Obj:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on` as True
    return dict(data)


def quote_meta(text: str) -> str:
    """Go's regexp.QuoteMeta: escapes exactly \\.+*?()|[]{}^$."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", text)


def github_filter_regex(pattern: str) -> str:
    """A GitHub Actions filter pattern (on.push.tags) as a regular expression: `*` any
    characters but `/`, `**` any, `+` and `?` one-or-more / zero-or-one of the preceding
    character, `[...]` a class; everything else literal (GitHub docs, "Filter pattern
    cheat sheet")."""
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        if char == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
            continue
        out += {"*": "[^/]*", "+": "+", "?": "?"}.get(char, quote_meta(char))
        i += 1
    return out


def release_identity() -> tuple[str, str]:
    """(issuer, subject regexp) of the certificates release.yml gets from Fulcio: the
    certificate's SAN is the run's workflow ref, https://github.com/OWNER/REPO/
    .github/workflows/FILE@REF, and the workflow runs only for pushed version tags."""
    workflow = _load_workflow(RELEASE)
    assert set(workflow["on"]) == {"push"} and set(workflow["on"]["push"]) == {"tags"}, (
        "release.yml must run only for pushed tags: another trigger signs with another ref"
    )
    signing = [j for j in workflow["jobs"].values() if "cosign sign" in json.dumps(j)]
    assert signing and all(j["permissions"].get("id-token") == "write" for j in signing)
    tags = [github_filter_regex(t) for t in workflow["on"]["push"]["tags"]]
    github = yaml.safe_load(SETTINGS.read_text())["applied"]["github"]
    ref = tags[0] if len(tags) == 1 else "(?:" + "|".join(tags) + ")"
    subject = (
        rf"^https://github\.com/{quote_meta(github['owner'])}/{quote_meta(github['repository'])}"
        rf"/\.github/workflows/{quote_meta(RELEASE.name)}@refs/tags/{ref}$"
    )
    return GITHUB_ISSUER, subject


def san(workflow: str = "release.yml", ref: str = "refs/tags/v1.2.3", repo: str = "") -> str:
    github = yaml.safe_load(SETTINGS.read_text())["applied"]["github"]
    repo = repo or f"{github['owner']}/{github['repository']}"
    return f"https://github.com/{repo}/.github/workflows/{workflow}@{ref}"


# ---- the installed controller -----------------------------------------------------------


def image_policies() -> list[Obj]:
    docs = []
    for path in sorted(IMAGE_POLICIES.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def controller() -> Controller:
    webhook = yaml.safe_load(VALUES.read_text())["webhook"]
    return Controller(
        namespace_selector=webhook["namespaceSelector"],
        no_match_policy=webhook["configData"]["no-match-policy"],
        policies=[d for d in image_policies() if d["kind"] == "ClusterImagePolicy"],
    )


def registry() -> str:
    """The platform's ECR, as the allowed-registries policy names it."""
    text = (ROOT / "gitops/policies/allowed-registries.yaml").read_text()
    match = re.search(r"\['([^']+/)'\]", text)
    assert match, "allowed-registries.yaml names no registry"
    return match.group(1)


# ---- the port is upstream's semantics ---------------------------------------------------

# policy-controller v0.13.1 pkg/apis/glob/glob_test.go, TestGlobMatch (a selection).
UPSTREAM_GLOB_CASES = [
    ("foo", "index.docker.io/library/foo:latest", True),
    ("foo", "index.docker.io/library/*", True),
    ("foo", "*", True),
    ("myuser/myapp", "index.docker.io/myuser/*", True),
    ("myuser/myapp", "*/*", True),
    ("ghcr.io/foo/bar", "ghcr.io/*/*", True),
    ("ghcr.io/foo", "ghcr.io/*/*", False),
    ("ghcr.io/foo", "ghcr.io/**", True),
    ("prefix-ghcr.io/foo", "ghcr.io/foo", False),
    ("ghcr.io/foo-suffix", "ghcr.io/foo", False),
    ("ghcrxio/foo", "ghcr.io/**", False),
    ("ghcr.io/foo@" + DIGEST, "ghcr.io/foo@" + DIGEST, True),
]


@pytest.mark.parametrize(("image", "glob", "expected"), UPSTREAM_GLOB_CASES)
def test_the_glob_port_agrees_with_upstreams_own_cases(
    image: str, glob: str, expected: bool
) -> None:
    assert glob_match(glob, image) is expected


def test_a_digest_reference_is_named_without_its_tag() -> None:
    # go-containerregistry pkg/name/digest.go: Name() = Repository.Name() + "@" + digest.
    assert reference_name(f"r.example/depot:v1@{DIGEST}") == f"r.example/depot@{DIGEST}"
    assert reference_name("nginx") == "index.docker.io/library/nginx:latest"


def test_go_regexps_are_unanchored_and_dollar_is_the_end_of_text() -> None:
    assert go_regexp_matches("release", "x-release-y")
    assert not go_regexp_matches("^a$", "a\n")


# ---- the policy ---------------------------------------------------------------------------


def test_the_policy_matches_the_crd_schema_of_the_pinned_chart() -> None:
    schema = json.loads(SCHEMA.read_text())["schema"]
    for doc in image_policies():
        assert doc["apiVersion"] == "policy.sigstore.dev/v1beta1"
        jsonschema.validate(doc, schema)
        _no_unknown_fields(doc["spec"], schema["properties"]["spec"], "spec")


def _no_unknown_fields(value: Any, schema: Obj, where: str) -> None:
    """The API server prunes fields the CRD does not declare: a misspelt key would vanish."""
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            assert key in schema["properties"], f"{where}.{key} is not in the CRD schema"
            _no_unknown_fields(item, schema["properties"][key], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _no_unknown_fields(item, schema["items"], f"{where}[{index}]")


def test_the_policy_trusts_exactly_the_release_workflows_identity() -> None:
    issuer, subject = release_identity()
    [policy] = controller().policies
    [authority] = policy["spec"]["authorities"]
    # cosign 3 signs in the bundle format (ADR 0037); the bundle path verifies one identity.
    assert authority["signatureFormat"] == "bundle"
    assert authority["keyless"]["identities"] == [{"issuer": issuer, "subjectRegExp": subject}]
    assert policy["spec"]["images"] == [{"glob": registry() + "**"}]


def _signed_by(subject: str, issuer: str = GITHUB_ISSUER) -> list[Certificate]:
    return [Certificate(issuer=issuer, sans=(subject,))]


def _tenant_labels() -> dict[str, str]:
    docs = yaml.safe_load_all((ROOT / "gitops/platform/namespaces/depot.yaml").read_text())
    namespace = next(d for d in docs if d and d["kind"] == "Namespace")
    return {"kubernetes.io/metadata.name": "depot", **namespace["metadata"]["labels"]}


@pytest.mark.parametrize("tag", ["v1.2.3", "v0.1.0", "v10.20.30"])
def test_an_image_signed_by_a_release_run_is_admitted(tag: str) -> None:
    image = f"{registry()}depot:{tag}@{DIGEST}"
    admitted, why = controller().admits(
        _tenant_labels(), image, _signed_by(san(ref=f"refs/tags/{tag}"))
    )
    assert admitted, why


REFUSED_SIGNERS = {
    "unsigned": [],
    "a fork's release workflow": _signed_by(san(repo="someone-else/depot-platform")),
    "a look-alike repository": _signed_by(san(repo="example-org/depot-platform-fork")),
    "another workflow of this repository": _signed_by(san(workflow="ci.yml")),
    "a look-alike workflow file": _signed_by(san(workflow="release.yaml")),
    "a pull request run": _signed_by(san(ref="refs/pull/7/merge")),
    "a branch run": _signed_by(san(ref="refs/heads/main")),
    "a pre-release tag": _signed_by(san(ref="refs/tags/v1.2.3-rc.1")),
    "a two-part tag": _signed_by(san(ref="refs/tags/v1.2")),
    "a subject with our SAN inside": _signed_by("https://evil.example/" + san()),
    "another host": _signed_by(san().replace("github.com", "github.com.evil.example")),
    "another issuer": _signed_by(san(), issuer="https://accounts.google.com"),
    "a look-alike issuer": _signed_by(san(), issuer=GITHUB_ISSUER + ".evil.example"),
}


@pytest.mark.parametrize("signer", sorted(REFUSED_SIGNERS))
def test_an_image_not_signed_by_the_release_workflow_is_refused(signer: str) -> None:
    image = f"{registry()}depot:v1.2.3@{DIGEST}"
    admitted, why = controller().admits(_tenant_labels(), image, REFUSED_SIGNERS[signer])
    assert not admitted, f"{signer}: {why}"


@pytest.mark.parametrize(
    "image",
    [
        "nginx:1.27",
        f"docker.io/library/nginx@{DIGEST}",
        f"{registry()[:-1]}.evil.example/depot@{DIGEST}",
    ],
)
def test_an_image_from_elsewhere_is_refused_even_when_signed_by_us(image: str) -> None:
    admitted, why = controller().admits(_tenant_labels(), image, _signed_by(san()))
    assert not admitted and why.startswith("no policy matches"), why


def test_a_looser_policy_would_admit_a_refused_signer() -> None:
    # The deny cases can fail: without its anchors the same expression admits a fork.
    loose = controller()
    identity = loose.policies[0]["spec"]["authorities"][0]["keyless"]["identities"][0]
    identity["subjectRegExp"] = identity["subjectRegExp"].lstrip("^").rstrip("$").split("/", 4)[-1]
    image = f"{registry()}depot:v1.2.3@{DIGEST}"
    admitted, _ = loose.admits(
        _tenant_labels(), image, REFUSED_SIGNERS["a fork's release workflow"]
    )
    assert admitted


# ---- where the controller looks ------------------------------------------------------------


def platform_namespaces(platform: p.Platform) -> dict[str, dict[str, str]]:
    """Every namespace of the cluster and its labels: what EKS brings, the Namespace objects
    the platform applies, and those Argo CD creates for an Application (CreateNamespace)
    with its managedNamespaceMetadata labels."""
    found: dict[str, dict[str, str]] = {n: {} for n in p.EKS_PROVIDES[("", "Namespace")]}
    for app in platform.apps.values():
        for obj in app.objects:
            if obj["kind"] == "Namespace":
                found.setdefault(obj["metadata"]["name"], {}).update(
                    obj["metadata"].get("labels", {})
                )
        policy = app.spec.get("syncPolicy", {})
        if "CreateNamespace=true" in policy.get("syncOptions", []) and app.namespace:
            labels = policy.get("managedNamespaceMetadata", {}).get("labels", {})
            found.setdefault(app.namespace, {}).update(labels)
    return {name: {"kubernetes.io/metadata.name": name, **labels} for name, labels in found.items()}


def tenant_namespaces(platform: p.Platform, namespaces: dict[str, dict[str, str]]) -> set[str]:
    services = platform.projects["services"]["spec"]["destinations"]
    return {d["namespace"] for d in services} | {
        name for name, labels in namespaces.items() if labels.get(TENANT) == "true"
    }


def selection_violations(
    platform: p.Platform, namespaces: dict[str, dict[str, str]], ctl: Controller
) -> list[str]:
    errors = []
    tenants = tenant_namespaces(platform, namespaces)
    for name in sorted(tenants - set(namespaces)):
        errors.append(f"tenant namespace {name} is not created by the platform")
    for name, labels in sorted(namespaces.items()):
        if name in tenants and not ctl.evaluates(labels):
            errors.append(f"tenant namespace {name}: not selected, its images go unverified")
        if name not in tenants and ctl.evaluates(labels):
            errors.append(f"system namespace {name}: selected, its public images would be refused")
    return errors


@pytest.fixture(scope="module")
def built() -> p.Platform:
    return p.build(ROOT, "dev", "ha", require_tool("helm", "scripts/setup/helm.sh"))


def test_every_tenant_namespace_is_checked_and_no_system_namespace_is(built: p.Platform) -> None:
    namespaces = platform_namespaces(built)
    assert {"depot", "kube-system", "cosign-system", "argocd"} <= set(namespaces)
    assert selection_violations(built, namespaces, controller()) == []


def test_a_tenant_namespace_without_the_label_or_a_system_one_with_it_is_refused(
    built: p.Platform,
) -> None:
    namespaces = platform_namespaces(built)
    unlabelled = copy.deepcopy(namespaces)
    del unlabelled["depot"][INCLUDE]
    assert selection_violations(built, unlabelled, controller()) == [
        "tenant namespace depot: not selected, its images go unverified"
    ]
    labelled = copy.deepcopy(namespaces)
    labelled["cosign-system"][INCLUDE] = "true"  # the controller would gate its own pods
    assert selection_violations(built, labelled, controller()) == [
        "system namespace cosign-system: selected, its public images would be refused"
    ]


def test_every_tenant_image_of_the_platform_is_one_the_policy_covers(built: p.Platform) -> None:
    ctl = controller()
    images = []
    for app in built.apps.values():
        if app.project != "services":
            continue
        for obj in app.objects:
            spec = obj.get("spec", {})
            template = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
            for container in template.get("spec", {}).get("containers", []):
                images.append(container["image"])
    assert images
    for image in images:
        assert any(
            glob_match(i["glob"], image)
            for policy in ctl.policies
            for i in policy["spec"]["images"]
        ), image
        admitted, why = ctl.admits(_tenant_labels(), image, _signed_by(san(ref="refs/tags/v1.0.0")))
        assert admitted, why
