"""`make new-service NAME=<name>` and `make update-service NAME=<name>`: generate a service
from the template in templates/service with copier, or bring a generated service up to
the template's latest version (docs/adr/0098-service-template.md).

Besides the files copier writes (all new), adding a service adds its name to each list
that enumerates services, one line or one list item per list:

- `services = [...]` in every infra/live/<root>/terraform.tfvars (its bucket, table,
  secret, key and IRSA role per environment; its image repository in shared);
- the namespace destinations of the `platform` and `services` AppProjects
  (gitops/argocd/projects.yaml), edited with ruamel.yaml so comments and layout stay;
- the image job's matrix in .github/workflows/ci.yml (one image per service, built from
  the one services/Dockerfile with --build-arg SERVICE=<name>).

copier updates a project only from a template in a git repository with a version. The
template lives in this repository's templates/service, so its versions are this
repository's commits that changed it: `template_repository` replays them into a small
repository of their own under .cache (same contents, dates and messages give the same
commit ids on every machine), whose commit count is the template's version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path("templates/service")
# Relative to the repository root, where copier runs: the answers files record it, and
# no machine's path lands in a tracked file.
TEMPLATE_REPOSITORY = Path(".cache/service-template")
# The Terraform roots' own rule (infra/live/*/variables.tf, `services`): also a DNS label.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")
SERVICES_LINE = re.compile(r"^(?P<head>services\s*=\s*)\[(?P<items>[^\]\n]*)\](?P<tail>.*)$", re.M)
PROJECTS = Path("gitops/argocd/projects.yaml")
CI_WORKFLOW = Path(".github/workflows/ci.yml")
IMAGE_JOB = "image"
PROJECTS_WITH_TENANTS = ("platform", "services")
IN_CLUSTER = "https://kubernetes.default.svc"


class TemplateRequestError(Exception):
    """The request cannot be carried out; the message says why and what to do."""


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TemplateRequestError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def tfvars_files(root: Path) -> list[Path]:
    """Every Terraform root whose variables name the hosted services."""
    return sorted(
        p
        for p in (root / "infra/live").glob("*/terraform.tfvars")
        if SERVICES_LINE.search(p.read_text())
    )


def listed_services(text: str) -> list[str]:
    match = SERVICES_LINE.search(text)
    if match is None:
        raise TemplateRequestError("no single-line `services = [...]` list")
    items = match.group("items").strip()
    return list(json.loads(f"[{items}]")) if items else []


def known_names(root: Path) -> set[str]:
    """Names a new service must not take: services, namespaces, event services."""
    names = {p.name for p in (root / "services").iterdir() if p.is_dir()}
    names |= {p.stem for p in (root / "gitops/services").glob("*.yaml")}
    names |= {p.stem for p in (root / "gitops/platform/namespaces").glob("*.yaml")}
    for path in tfvars_files(root):
        text = path.read_text()
        names |= set(listed_services(text))
        names |= set(re.findall(r"^event_services\s*=\s*\{\s*(\w[\w-]*)\s*=", text, re.M))
    names |= {p.stem for p in (root / "mk").glob("*.mk")}
    return names


def check_name(root: Path, name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise TemplateRequestError(
            f"NAME={name!r} is not a usable service name: 3-22 characters, lowercase letters, "
            "digits and hyphens, starting with a letter and not ending with a hyphen (a DNS "
            "label that also fits the AWS names built from it, e.g. <name>-prod-content-<account>)"
        )
    if "--" in name:
        raise TemplateRequestError(f"NAME={name!r}: two hyphens in a row are not allowed")
    if name in known_names(root):
        raise TemplateRequestError(
            f"NAME={name!r} exists already (a service, namespace, make area or event service "
            "of that name); update it with `make update-service NAME=...` or pick another name"
        )


# ---- what every service of an environment shares ----------------------------------------


def _yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def platform_values(root: Path) -> dict[str, Any]:
    """The answers copier needs that the repository already decides: the shared account's
    registry, the domain and region (platform-settings.yaml, `applied`), and per
    environment its account and what its HTTP services share (the certificate, the web
    ACL, the ALB's subnets, the profile), read from a service there with an ingress."""
    applied = _yaml(root / "platform-settings.yaml")["applied"]
    aws = applied["aws"]
    environments: dict[str, Any] = {}
    for env_dir in sorted(p for p in (root / "gitops/environments").iterdir() if p.is_dir()):
        env = env_dir.name
        tfvars = (root / "infra/live" / env / "terraform.tfvars").read_text()
        account = re.search(r'^account_id\s*=\s*"(\d{12})"', tfvars, re.M)
        if account is None:
            raise TemplateRequestError(f"infra/live/{env}/terraform.tfvars declares no account_id")
        fronted = [
            values
            for values in (_yaml(p) for p in sorted(env_dir.glob("*.yaml")))
            if (values or {}).get("ingress", {}).get("enabled")
        ]
        if not fronted:
            raise TemplateRequestError(
                f"gitops/environments/{env} has no service with an ingress to share with"
            )
        first = fronted[0]
        environments[env] = {
            "account": account.group(1),
            "profile": first["profile"],
            "certificate_arn": first["ingress"]["certificateArn"],
            "waf_acl_arn": first["ingress"]["wafAclArn"],
            "ingress_cidrs": list(first["networkPolicy"]["ingressCidrs"]),
        }
    return {
        "registry": f"{aws['accounts']['shared']}.dkr.ecr.{aws['region']}.amazonaws.com",
        "domain": applied["domain"],
        "region": aws["region"],
        "environments": environments,
    }


# ---- the lists that enumerate services ----------------------------------------------------


def add_to_tfvars(path: Path, name: str) -> None:
    text = path.read_text()
    match = SERVICES_LINE.search(text)
    if match is None:
        raise TemplateRequestError(
            f"{path}: no single-line `services = [...]` list to add {name} to"
        )
    names = [*listed_services(text), name]
    line = f"{match.group('head')}[{', '.join(json.dumps(n) for n in names)}]{match.group('tail')}"
    path.write_text(text[: match.start()] + line + text[match.end() :])


def add_to_projects(path: Path, name: str) -> None:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    documents = list(yaml.load_all(path.read_text()))
    found = set()
    for doc in documents:
        project = doc["metadata"]["name"]
        if project not in PROJECTS_WITH_TENANTS:
            continue
        destinations = doc["spec"]["destinations"]
        if not any(d.get("namespace") == name for d in destinations):
            _append_keeping_comments(destinations, {"server": IN_CLUSTER, "namespace": name})
        found.add(project)
    missing = set(PROJECTS_WITH_TENANTS) - found
    if missing:
        raise TemplateRequestError(
            f"{path}: no AppProject {sorted(missing)} to add namespace {name} to"
        )
    with path.open("w") as out:
        yaml.dump_all(documents, out)


def _append_keeping_comments(items: Any, entry: dict[str, str]) -> None:
    """Append to a block sequence of mappings. ruamel.yaml attaches a comment that follows
    the list to its last item's last key: move it to the new last item, so it still
    follows the list instead of landing between the old item and the new one."""
    last = items[-1]
    new = CommentedMap(entry)
    key = list(last)[-1]
    if key in last.ca.items:
        new.ca.items[list(entry)[-1]] = last.ca.items.pop(key)
    items.append(new)


def add_to_image_matrix(path: Path, name: str) -> None:
    """The image job's matrix (`service: [depot, ...]`, one flow-style line). A round trip
    of the whole workflow would re-indent it, so ruamel.yaml finds the line and checks the
    result, and only that line is rewritten."""
    text = path.read_text()
    workflow = YAML().load(text)
    matrix = workflow["jobs"][IMAGE_JOB]["strategy"]["matrix"]
    services = list(matrix["service"])
    line_number = matrix.lc.key("service")[0]
    lines = text.splitlines(keepends=True)
    indent = lines[line_number][: len(lines[line_number]) - len(lines[line_number].lstrip())]
    expected = f"{indent}service: [{', '.join(services)}]\n"
    if lines[line_number] != expected:
        raise TemplateRequestError(
            f"{path}: the matrix line is not `service: [{', '.join(services)}]`; add {name} by hand"
        )
    lines[line_number] = f"{indent}service: [{', '.join([*services, name])}]\n"
    edited = "".join(lines)
    check = YAML(typ="safe").load(edited)
    if check["jobs"][IMAGE_JOB]["strategy"]["matrix"]["service"] != [*services, name]:
        raise TemplateRequestError(f"{path}: the edited matrix does not read back as expected")
    path.write_text(edited)


def enumerations(root: Path) -> list[Path]:
    return [*tfvars_files(root), root / PROJECTS, root / CI_WORKFLOW]


# ---- the template's own repository --------------------------------------------------------


def template_repository(root: Path) -> Path:
    """Replay the commits that changed templates/service (up to HEAD) into a repository
    of their own; its HEAD is the template's latest version. Uncommitted template changes
    are not in it: commit them first."""
    commits = _git("log", "--reverse", "--format=%H %cI", "HEAD", "--", str(TEMPLATE), cwd=root)
    if not commits.strip():
        raise TemplateRequestError(f"{TEMPLATE} has no commit: commit the template first")
    target = root / TEMPLATE_REPOSITORY
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    _git("init", "-q", "-b", "main", cwd=target, env=base)
    for line in commits.splitlines():
        commit, date = line.split()
        for child in target.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        archive = subprocess.run(
            ["git", "archive", "--format=tar", f"{commit}:{TEMPLATE}"],
            cwd=root, capture_output=True, check=True,
        )  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        env = {
            **base,
            "GIT_AUTHOR_NAME": "service template",
            "GIT_AUTHOR_EMAIL": "template@invalid",
            "GIT_COMMITTER_NAME": "service template",
            "GIT_COMMITTER_EMAIL": "template@invalid",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        _git("add", "-A", ".", cwd=target, env=env)
        _git("commit", "-q", "--allow-empty", "-m", f"template as of {commit}", cwd=target, env=env)
    return target


# ---- the two commands ---------------------------------------------------------------------


def new_service(root: Path, name: str, team: str | None = None) -> list[Path]:
    """Generate services/<name> and its deployment files, then add it to each list."""
    import copier

    check_name(root, name)
    for path in enumerations(root):
        if path.name == "terraform.tfvars":
            listed_services(path.read_text())  # refuses before anything is written
    source = template_repository(root)
    data = {"name": name, "team": team or name, **platform_values(root)}
    cwd = Path.cwd()
    os.chdir(root)
    try:
        copier.run_copy(
            str(source.relative_to(root)), ".", data=data, defaults=True, quiet=True,
            overwrite=False,
        )  # fmt: skip
    finally:
        os.chdir(cwd)
    for path in tfvars_files(root):
        add_to_tfvars(path, name)
    add_to_projects(root / PROJECTS, name)
    add_to_image_matrix(root / CI_WORKFLOW, name)
    lock(root, name)
    return enumerations(root)


def python_for(version: str) -> str:
    """An interpreter of that minor version, found the way scripts/setup/python.sh finds
    one (uv without downloading, then pyenv's); else the version, for uv to install."""
    found = subprocess.run(
        ["uv", "python", "find", "--no-python-downloads", version],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode == 0:
        return found.stdout.strip()
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(pyenv.glob(f"versions/{version}.*/bin/python{version}")):
        return str(candidate)
    return version


def lock(root: Path, name: str) -> None:
    """The service's own uv.lock (ADR 0090: each service keeps its own pins)."""
    project = root / "services" / name
    version = (project / ".python-version").read_text().strip()
    subprocess.run(
        ["uv", "lock", "-q", "--project", str(project), "--python", python_for(version)],
        check=True,
    )


def update_service(root: Path, name: str) -> None:
    """`copier update` of services/<name> to the template's latest version. The
    repository must be clean (copier's rule): the update is one reviewable diff."""
    import copier

    answers = Path("services") / name / ".copier-answers.yml"
    if not (root / answers).exists():
        raise TemplateRequestError(
            f"{answers} not found: services/{name} was not made from the template"
        )
    # Rebuilt where the answers file's _src_path says; the replay gives the same commit
    # ids, so the _commit it recorded is there for copier's old copy.
    template_repository(root)
    cwd = Path.cwd()
    os.chdir(root)
    try:
        copier.run_update(
            ".", answers_file=str(answers), defaults=True, overwrite=True, quiet=True,
            conflict="rej",
        )  # fmt: skip
    finally:
        os.chdir(cwd)
    lock(root, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="service_template", description=__doc__)
    parser.add_argument("command", choices=["new", "update"])
    parser.add_argument("name")
    parser.add_argument("--team", help="owning team (default: the service's name)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "new":
            touched = new_service(root, args.name, args.team)
            print(f"generated services/{args.name}; added it to:")
            for path in touched:
                print(f"  {path.relative_to(root)}")
            print(f"next: make lint-{args.name} test-{args.name}, then commit")
        else:
            update_service(root, args.name)
            print(f"services/{args.name} is at the template's latest version; review and commit")
    except TemplateRequestError as refused:
        print(f"service_template: {refused}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
