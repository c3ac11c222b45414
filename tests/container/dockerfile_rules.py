"""The image promises that can be read from the Dockerfile itself.

hadolint and checkov cover general good practice; these rules are the platform's own
(digest-pinned bases, numeric non-root user, exec-form entry point, nothing installed
in the runtime stage, dependencies from the lock). Each returns human-readable
violations, so a test can assert both that the real Dockerfile has none and that a
broken one is caught.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
REQUIRED_LABELS = (
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.version",
)
# Program names that would mean a shell or a package tool sits between the runtime and
# the service.
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash", "/busybox/sh"}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    line: int


def parse(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, value = " ".join(pending).partition(" ")
        instructions.append(Instruction(keyword.upper(), value.strip(), start))
        pending = []
    return instructions


def _stages(instructions: list[Instruction]) -> tuple[list[Instruction], list[list[Instruction]]]:
    """(instructions before the first FROM, one list per stage starting with its FROM)."""
    preamble: list[Instruction] = []
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([instruction])
        elif stages:
            stages[-1].append(instruction)
        else:
            preamble.append(instruction)
    return preamble, stages


def _arg_defaults(preamble: list[Instruction]) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for instruction in preamble:
        if instruction.keyword == "ARG" and "=" in instruction.value:
            name, _, default = instruction.value.partition("=")
            defaults[name.strip()] = default.strip().strip('"')
    return defaults


def _exec_form(value: str) -> list[str] | None:
    """The JSON array of an exec-form instruction, or None for shell form."""
    # Flags such as --mount=... may precede the JSON array of a RUN.
    body = re.sub(r"^(--\S+\s+)*", "", value)
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) else None


def base_image_violations(text: str) -> list[str]:
    preamble, stages = _stages(parse(text))
    defaults = _arg_defaults(preamble)
    names: set[str] = set()
    problems: list[str] = []
    for stage in stages:
        source = stage[0]
        words = [w for w in source.value.split() if not w.startswith("--platform")]
        image = words[0]
        if len(words) >= 3 and words[1].lower() == "as":
            names.add(words[2])
        if image in names or image == "scratch":
            continue
        reference = image
        match = re.fullmatch(r"\$\{?(\w+)\}?", image)
        if match:
            reference = defaults.get(match.group(1), "")
            if not reference:
                problems.append(
                    f"line {source.line}: FROM {image}: declare"
                    f" ARG {match.group(1)}=<image>@sha256:<digest> before the first FROM"
                )
                continue
        if reference.split("@")[0].endswith(":latest"):
            problems.append(f"line {source.line}: FROM {reference}: never 'latest'; pin a version")
        if not DIGEST.search(reference):
            problems.append(
                f"line {source.line}: FROM {reference}: pin the base by digest"
                " (<image>:<tag>@sha256:<digest>)"
            )
    return problems


def runtime_stage_violations(text: str) -> list[str]:
    _, stages = _stages(parse(text))
    if not stages:
        return ["no FROM: not a Dockerfile"]
    final = stages[-1]
    by_keyword: dict[str, list[Instruction]] = {}
    for instruction in final:
        by_keyword.setdefault(instruction.keyword, []).append(instruction)
    problems: list[str] = []

    users = by_keyword.get("USER", [])
    if not users:
        problems.append("runtime stage: add USER <uid>:<gid> (numeric, non-zero)")
    else:
        user = users[-1].value
        if not re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user):
            problems.append(
                f"line {users[-1].line}: USER {user}: use a numeric non-root uid:gid"
                " (Kubernetes runAsNonRoot cannot check a name)"
            )

    for keyword in ("ENTRYPOINT", "CMD"):
        found = by_keyword.get(keyword, [])
        if not found:
            problems.append(f"runtime stage: add {keyword} in exec form")
            continue
        argv = _exec_form(found[-1].value)
        if argv is None:
            problems.append(
                f"line {found[-1].line}: {keyword} must be exec form (a JSON array), so no shell"
                " is PID 1 swallowing SIGTERM"
            )
        elif keyword == "ENTRYPOINT" and argv and argv[0] in SHELLS:
            problems.append(f"line {found[-1].line}: ENTRYPOINT starts a shell; start the service")

    signals = by_keyword.get("STOPSIGNAL", [])
    if not signals or signals[-1].value != "SIGTERM":
        problems.append("runtime stage: declare STOPSIGNAL SIGTERM (the server drains on it)")

    for run in by_keyword.get("RUN", []):
        problems.append(
            f"line {run.line}: RUN in the runtime stage; install in the build stage and COPY"
            " the result (keeps package tools and compilers out of the image)"
        )

    labels = " ".join(i.value for i in by_keyword.get("LABEL", []))
    problems.extend(
        f"runtime stage: add LABEL {label}=..." for label in REQUIRED_LABELS if label not in labels
    )
    problems.extend(_workdir_violations(by_keyword.get("WORKDIR", [])))
    env = " ".join(i.value for i in by_keyword.get("ENV", []))
    if not re.search(r"\bPYTHONSAFEPATH=1\b", env):
        problems.append(
            "runtime stage: set ENV PYTHONSAFEPATH=1 (`python -m` must not put the working"
            " directory on sys.path)"
        )
    return problems


def _workdir_violations(workdirs: list[Instruction]) -> list[str]:
    """The runtime stage names its own working directory: the base's (distroless nonroot:
    /home/nonroot, mode 0700, owned by 65532) is unreadable to the image's user."""
    if not workdirs:
        return [
            "runtime stage: set WORKDIR (the base's /home/nonroot is mode 0700 for uid 65532,"
            " unreadable to USER 10001)"
        ]
    workdir = workdirs[-1].value.strip()
    if workdir.startswith(("/home", "/root", "/tmp")) or not workdir.startswith("/"):
        return [
            f"line {workdirs[-1].line}: WORKDIR {workdir}: use an absolute, root-owned"
            " directory every user can read (e.g. /)"
        ]
    return []


def dependency_violations(text: str) -> list[str]:
    """Dependencies come from the lock, in a layer of their own before the source."""
    instructions = parse(text)
    problems: list[str] = []
    copies = [i for i in instructions if i.keyword == "COPY" and "--from" not in i.value]
    lock_copy = next((i for i in copies if "uv.lock" in i.value), None)
    source_copy = next((i for i in copies if re.search(r"\bsrc/?\b", i.value)), None)
    if lock_copy is None:
        problems.append("COPY uv.lock into the build stage and install from it")
    elif source_copy is not None and source_copy.line < lock_copy.line:
        problems.append(
            f"line {source_copy.line}: source copied before the lock; dependencies would be"
            " reinstalled on every code change"
        )
    syncs = [i for i in instructions if i.keyword == "RUN" and "sync" in i.value]
    if not syncs:
        problems.append("install with uv sync from the lock")
    problems.extend(
        f"line {run.line}: uv sync without --frozen may re-resolve instead of using uv.lock"
        for run in syncs
        if "--frozen" not in run.value and "--locked" not in run.value
    )
    problems.extend(_hermetic_violations(instructions, source_copy))
    return problems


def _hermetic_violations(
    instructions: list[Instruction], source_copy: Instruction | None
) -> list[str]:
    """Reproducible build (ADR 0053): the project's own install fetches nothing (every
    download happened from the hashed lock before the source arrived), and the build
    stage takes SOURCE_DATE_EPOCH."""
    problems: list[str] = []
    if source_copy is not None:
        project_syncs = [
            i
            for i in instructions
            if i.keyword == "RUN" and "sync" in i.value and i.line > source_copy.line
        ]
        problems.extend(
            f"line {run.line}: the project install must run --offline (its build backend"
            " must not be fetched without a hash)"
            for run in project_syncs
            if "--offline" not in run.value
        )
    epoch_args = [i for i in instructions if i.keyword == "ARG" and "SOURCE_DATE_EPOCH" in i.value]
    if not epoch_args:
        problems.append("build stage: declare ARG SOURCE_DATE_EPOCH for a reproducible build")
    return problems


def violations(text: str) -> list[str]:
    return (
        base_image_violations(text) + runtime_stage_violations(text) + dependency_violations(text)
    )
