"""The Sigstore policy-controller's admission decision, ported from its source so the
ClusterImagePolicy can be tested by its real semantics without a cluster or Go.

Each function names the upstream code it follows (read at the pinned versions:
policy-controller v0.13.1 = chart policy-controller-0.10.6, which vendors cosign v2.5.0
and go-containerregistry v0.20.3):

- `glob_match`: pkg/apis/glob/glob.go `Match` (and `Compile`); the reference is
  normalised as go-containerregistry's `name.ParseReference(...).Name()` does
  (pkg/name: default registry index.docker.io, `library/` for official images, `latest`
  when no tag, and for a digest reference `repository@digest`, the tag dropped);
- `identity_matches`: cosign pkg/cosign/verify.go `CheckCertificatePolicy`: the issuer
  compared exactly (or by IssuerRegExp), the subject by SubjectRegExp against each SAN with
  Go's `regexp.MatchString`, which is unanchored; a Go `$` is end of text (Python's `$`
  also matches before a final newline, so it is translated to `\\Z`);
- `admits`: pkg/webhook/validator.go: a namespace the webhook's namespaceSelector does not
  select is never evaluated; an image no policy's glob matches follows no-match-policy
  (pkg/config/store.go, default deny); every matching policy must be satisfied, by any
  one of its authorities; a keyless authority is satisfied by a signature on the image
  whose certificate matches one of its identities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
DEFAULT_REGISTRY = "index.docker.io"
_VALID_GLOB = re.compile(r"^[a-zA-Z0-9-_:\/\*\.@]+\Z")
_GO_DOLLAR = re.compile(r"(?<!\\)\$")


def compile_glob(glob: str) -> re.Pattern[str]:
    if glob == "*/*":
        glob = "index.docker.io/*/*"
    if glob == "*":
        glob = "index.docker.io/library/*"
    if not _VALID_GLOB.match(glob):
        raise ValueError(f"invalid glob {glob!r}")
    pattern = glob.replace(".", r"\.").replace("**", "#").replace("*", "[^/]*").replace("#", ".*")
    return re.compile(f"^{pattern}\\Z")


def reference_name(image: str) -> str:
    """go-containerregistry's Reference.Name() of an image reference."""
    base, _, digest = image.partition("@")
    slash = base.rfind("/")
    colon = base.rfind(":")
    tag = "latest"
    if colon > slash:
        base, tag = base[:colon], base[colon + 1 :]
    first, _, rest = base.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DEFAULT_REGISTRY, base
    if registry == "docker.io":
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    name = f"{registry}/{repository}"
    return f"{name}@{digest}" if digest else f"{name}:{tag}"


def glob_match(glob: str, image: str) -> bool:
    pattern = compile_glob(glob)
    name = reference_name(image)
    return bool(pattern.match(name)) or (name != image and bool(pattern.match(image)))


def go_regexp_matches(pattern: str, text: str) -> bool:
    """Go's regexp.MatchString: unanchored search; `$` is the end of the text."""
    return re.search(_GO_DOLLAR.sub(r"\\Z", pattern), text) is not None


@dataclass(frozen=True)
class Certificate:
    """What verification reads from a Fulcio certificate: its OIDC issuer extension and its
    subject alternative names (for GitHub Actions, the workflow ref URI)."""

    issuer: str
    sans: tuple[str, ...]


def identity_matches(identity: Obj, cert: Certificate) -> bool:
    if identity.get("issuerRegExp"):
        issuer_ok = go_regexp_matches(identity["issuerRegExp"], cert.issuer)
    elif identity.get("issuer"):
        issuer_ok = identity["issuer"] == cert.issuer
    else:
        issuer_ok = True
    if identity.get("subjectRegExp"):
        subject_ok = any(go_regexp_matches(identity["subjectRegExp"], san) for san in cert.sans)
    elif identity.get("subject"):
        subject_ok = identity["subject"] in cert.sans
    else:
        subject_ok = True
    return issuer_ok and subject_ok


def authority_satisfied(authority: Obj, signatures: list[Certificate]) -> bool:
    keyless = authority.get("keyless")
    if keyless is None:
        raise NotImplementedError("only keyless authorities are modelled")
    identities = keyless.get("identities", [])
    return any(identity_matches(i, cert) for cert in signatures for i in identities)


def selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value, op = labels.get(expr["key"]), expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


@dataclass
class Controller:
    """The installed controller: its webhook's namespace selector, its no-match policy and
    the ClusterImagePolicies in the cluster."""

    namespace_selector: Obj
    no_match_policy: str
    policies: list[Obj] = field(default_factory=list)

    def evaluates(self, namespace_labels: dict[str, str]) -> bool:
        return selector_matches(self.namespace_selector, namespace_labels)

    def admits(
        self, namespace_labels: dict[str, str], image: str, signatures: list[Certificate]
    ) -> tuple[bool, str]:
        if not self.evaluates(namespace_labels):
            return True, "namespace not selected by the webhook"
        matching = [
            p
            for p in self.policies
            if any(glob_match(i["glob"], image) for i in p["spec"].get("images", []))
        ]
        if not matching:
            return self.no_match_policy != "deny", f"no policy matches {image}"
        for policy in matching:
            if not any(authority_satisfied(a, signatures) for a in policy["spec"]["authorities"]):
                return False, f"{policy['metadata']['name']}: no authority satisfied"
        return True, "signed"
