"""Links written for the repository, turned into links that work on the site.

Every Markdown file is written to read well where it lives in the repository (GitHub
renders relative links from the file's own folder). The site carries docs/ and a few
Markdown files from elsewhere (the README as the home page, component READMEs), so a
link is resolved against the repository first and then mapped:

- to a page the site carries: a relative link to that page (MkDocs then checks it and
  its anchor under --strict);
- to any other file or folder that exists: its source on the repository's host;
- to nothing: a problem, which the hook reports as a warning (fatal under --strict).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Inline links and images: [text](target "title"). Reference-style links are not used
# in this repository's Markdown.
_INLINE_LINK = re.compile(r"(!?\[[^\]\n]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_FENCE = re.compile(r"^(```|~~~)")
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass
class Rewrite:
    markdown: str
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Site:
    """What the site carries and where the rest of the repository is published."""

    # repository path of each carried page -> its path on the site (MkDocs src_uri)
    pages: Mapping[str, str]
    # repository path -> "file", "dir" or None (missing)
    kind: Callable[[str], str | None]
    # the repository's web address for sources, e.g. https://github.com/org/repo
    source_url: str
    branch: str = "main"


def _target_on_site(target: str, page_repo_path: str, site: Site) -> str | None:
    """The site link for one repository-relative target; None when it leads nowhere."""
    path, hash_, anchor = target.partition("#")
    if not path:
        return target
    base = posixpath.dirname(page_repo_path)
    repo_path = posixpath.normpath(posixpath.join(base, path))
    if repo_path.startswith("../") or repo_path == "..":
        return None
    kind = site.kind(repo_path)
    if kind is None:
        return None
    if kind == "dir":
        for index in ("README.md", "index.md"):
            candidate = posixpath.join(repo_path, index) if repo_path != "." else index
            if candidate in site.pages:
                repo_path = candidate
                break
    fragment = hash_ + anchor
    if repo_path in site.pages:
        here = posixpath.dirname(site.pages[page_repo_path])
        return posixpath.relpath(site.pages[repo_path], here or ".") + fragment
    view = "tree" if kind == "dir" else "blob"
    return f"{site.source_url}/{view}/{site.branch}/{repo_path}{fragment}"


def rewrite(markdown: str, page_repo_path: str, site: Site) -> Rewrite:
    """Map every relative link of one page; code blocks are left as they are."""
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        opening, target, closing = match.groups()
        if target.startswith("#") or _EXTERNAL.match(target):
            return match.group(0)
        mapped = _target_on_site(target, page_repo_path, site)
        if mapped is None:
            problems.append(f"{page_repo_path} links to {target!r}, which does not exist")
            return match.group(0)
        return opening + mapped + closing

    lines: list[str] = []
    in_fence = False
    for line in markdown.split("\n"):
        if _FENCE.match(line.lstrip()):
            in_fence = not in_fence
        lines.append(line if in_fence else _INLINE_LINK.sub(replace, line))
    return Rewrite("\n".join(lines), problems)
