"""Write the values of platform-settings.yaml into every file that uses them.

`settings` is what the platform team wants; `applied` is what the files hold now. Each
value that differs is replaced, as a whole token, in every text file of the repository
(tracked files, or the tree when there is no Git repository), then `applied` is
rewritten. Running it again with nothing changed changes nothing.

    python scripts/configure.py            # apply (make configure)
    python scripts/configure.py --check    # fail while a shipped placeholder is still set
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = "platform-settings.yaml"
ENVIRONMENTS = ("shared", "dev", "staging", "prod")
DNS_ENVIRONMENTS = ("dev", "staging", "prod")
# The shipped placeholders: --check fails while any of them is still set.
PLACEHOLDERS = {
    "github.owner": "example-org",
    "aws.accounts.shared": "444444444444",
    "aws.accounts.dev": "111111111111",
    "aws.accounts.staging": "222222222222",
    "aws.accounts.prod": "333333333333",
}
SKIP_DIRS = {".git", ".cache", ".venv", "node_modules", ".terraform", "__pycache__"}

# GitHub: owner 1-39 alphanumerics or single hyphens; repository and team slugs are
# letters, digits, '.', '_' and '-'.
OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
SLUG = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
DOMAIN = re.compile(r"^(?=.{4,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SettingsError(ValueError):
    """A value in platform-settings.yaml is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    owner: str
    repository: str
    teams: dict[str, str]
    region: str
    accounts: dict[str, str]
    domain: str

    @classmethod
    def parse(cls, data: Any, section: str) -> Settings:
        def get(path: str) -> Any:
            node = data
            for key in path.split("."):
                if not isinstance(node, dict) or key not in node:
                    raise SettingsError(f"{SETTINGS_FILE}: {section}.{path} is missing")
                node = node[key]
            return node

        def check(path: str, pattern: re.Pattern[str], hint: str) -> str:
            value = get(path)
            if not isinstance(value, str) or not pattern.match(value):
                raise SettingsError(
                    f"{SETTINGS_FILE}: {section}.{path} = {value!r} is invalid: {hint}"
                    " (quote account ids so YAML keeps them as text)"
                )
            return value

        teams_raw = get("github.teams")
        if not isinstance(teams_raw, dict) or not teams_raw:
            raise SettingsError(f"{SETTINGS_FILE}: {section}.github.teams must map roles to slugs")
        teams = {
            role: check(f"github.teams.{role}", SLUG, "a GitHub team slug") for role in teams_raw
        }
        accounts = {
            env: check(f"aws.accounts.{env}", ACCOUNT, "a 12-digit AWS account id")
            for env in ENVIRONMENTS
        }
        if len(set(accounts.values())) != len(accounts):
            raise SettingsError(
                f"{SETTINGS_FILE}: {section}.aws.accounts: every environment needs its own "
                "account (ADR 0020); two share one"
            )
        return cls(
            owner=check("github.owner", OWNER, "a GitHub user or organisation name"),
            repository=check("github.repository", SLUG, "a GitHub repository name"),
            teams=teams,
            region=check("aws.region", REGION, "an AWS region such as eu-west-1"),
            accounts=accounts,
            domain=check("domain", DOMAIN, "a lowercase DNS name such as example.net"),
        )


def replacements(old: Settings, new: Settings) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, replacement) pairs, most specific first, only for values that changed."""
    pairs: list[tuple[re.Pattern[str], str]] = []

    def add(pattern: str, replacement: str) -> None:
        pairs.append((re.compile(pattern), replacement))

    if set(old.teams) != set(new.teams):
        raise SettingsError(
            f"{SETTINGS_FILE}: settings.github.teams must name the roles "
            f"{sorted(old.teams)} (rename the slugs, not the roles)"
        )
    for role, old_team in old.teams.items():
        before, after = f"@{old.owner}/{old_team}", f"@{new.owner}/{new.teams[role]}"
        if before != after:
            add(re.escape(before) + r"(?![\w.-])", after)
    before, after = f"{old.owner}/{old.repository}", f"{new.owner}/{new.repository}"
    if before != after:
        add(r"(?<![\w.-])" + re.escape(before) + r"(?![\w-])", after)
    if old.owner != new.owner:
        add(r"(?<![\w.-])" + re.escape(old.owner) + r"(?![\w-])", new.owner)
    for env in ENVIRONMENTS:
        if old.accounts[env] != new.accounts[env]:
            add(r"(?<!\d)" + old.accounts[env] + r"(?!\d)", new.accounts[env])
    if old.region != new.region:
        # Also rewrites availability zones (eu-west-1a -> us-east-2a).
        add(r"(?<![\w-])" + re.escape(old.region) + r"(?!\d)", new.region)
    if old.domain != new.domain:
        envs = "|".join(DNS_ENVIRONMENTS)
        add(rf"\b({envs})\." + re.escape(old.domain) + r"(?![\w-])", rf"\1.{new.domain}")
    return pairs


def text_files(root: Path, keep: set[str]) -> Iterator[Path]:
    if (root / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
        ).stdout.decode()
        candidates = [root / p for p in listed.split("\0") if p]
    else:
        candidates = [
            p
            for p in root.rglob("*")
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(root).parts)
        ]
    for path in sorted(candidates):
        if path.relative_to(root).as_posix() in keep or not path.is_file():
            continue
        head = path.read_bytes()[:4096]
        if b"\0" not in head:
            yield path


def applied_block(s: Settings) -> str:
    lines = ["applied:", "  github:", f"    owner: {s.owner}", f"    repository: {s.repository}"]
    lines += ["    teams:", *(f"      {role}: {team}" for role, team in s.teams.items())]
    lines += ["  aws:", f"    region: {s.region}", "    accounts:"]
    lines += [f'      {env}: "{s.accounts[env]}"' for env in ENVIRONMENTS]
    lines += [f"  domain: {s.domain}"]
    return "\n".join(lines) + "\n"


def configure(root: Path) -> list[Path]:
    """Apply `settings` to the tree under root; returns the files changed."""
    path = root / SETTINGS_FILE
    data = yaml.safe_load(path.read_text())
    new = Settings.parse(data.get("settings"), "settings")
    old = Settings.parse(data.get("applied"), "applied")
    pairs = replacements(old, new)
    changed: list[Path] = []
    if pairs:
        for file in text_files(root, set(data.get("keeps_placeholders") or {})):
            try:
                text = file.read_text()
            except UnicodeDecodeError:
                continue
            updated = text
            for pattern, replacement in pairs:
                updated = pattern.sub(replacement, updated)
            if updated != text:
                file.write_text(updated)
                changed.append(file)
    record = path.read_text()
    start = record.index("\napplied:\n") + 1
    end = record.index("\n\n", start) + 1
    new_record = record[:start] + applied_block(new) + record[end:]
    if new_record != record:
        path.write_text(new_record)
    return changed


def placeholders_left(root: Path) -> list[str]:
    data = yaml.safe_load((root / SETTINGS_FILE).read_text())
    left = []
    for dotted, placeholder in PLACEHOLDERS.items():
        node: Any = data["settings"]
        for key in dotted.split("."):
            node = node[key]
        if str(node) == placeholder:
            left.append(f"settings.{dotted} is still the placeholder {placeholder!r}")
    return left


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--check", action="store_true", help="fail while placeholders are set")
    args = parser.parse_args(argv)
    try:
        if args.check:
            left = placeholders_left(args.root)
            for line in left:
                print(f"{SETTINGS_FILE}: {line}: set it, then run make configure", file=sys.stderr)
            return 1 if left else 0
        changed = configure(args.root)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    for file in changed:
        print(f"configured {file.relative_to(args.root)}")
    print(f"{len(changed)} files changed; review with git diff, then commit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
