"""MkDocs hooks (mkdocs.yml `hooks:`): the site is built from the repository as it is.

- The README is the home page, and component READMEs (a service, the chart, the
  Terraform modules, observability, benchmarks) are carried at their repository paths,
  so nothing is copied into docs/ to appear on the site.
- Links written for GitHub are mapped to the site (tools/docs_site/links.py); a link to
  nothing is a warning, which `mkdocs build --strict` turns into a failed build.
- A nav entry ending in "/" lists that folder's pages, so a new ADR or runbook appears
  without editing mkdocs.yml (and `validation.nav.omitted_files` catches any other page
  left out of the nav).
- Browser assets that must not come from a CDN (Mermaid) are served by the site itself,
  from the folder scripts/setup/docs.sh fills.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

try:
    from tools.docs_site import links
except ImportError:  # `mkdocs` loads a hook from its path, with its folder on sys.path
    import links  # type: ignore[import-not-found,no-redef]

log = logging.getLogger("mkdocs.plugins.docs_site")

HOME = "README.md"
# Markdown outside docs/ that the site carries, at its repository path.
CARRIED = (
    "services/*/README.md",
    "libs/*/README.md",
    "charts/*/README.md",
    "infra/modules/*/README.md",
    "observability/README.md",
    "bench/README.md",
    "tests/*/README.md",
    "tools/*/README.md",
)
ASSETS_FOLDER = "javascripts"
# docs/ folders without an index page of their own get a generated list of their pages.
INDEXED_FOLDERS = {"adr": "Decisions (ADRs)"}

# src_uri on the site -> path in the repository, filled by on_files.
_repo_path: dict[str, str] = {}
# src_uris of pages generated here (their links are already the site's).
_generated: set[str] = set()


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def _assets(root: Path) -> Path:
    cache = os.environ.get("DEPOT_CACHE_DIR")
    return (Path(cache) if cache else root / ".cache") / "docs-assets"


def _source_url(root: Path) -> str:
    """The repository's address, from what `make configure` last applied."""
    settings = yaml.safe_load((root / "platform-settings.yaml").read_text())
    github = settings["applied"]["github"]
    return f"https://github.com/{github['owner']}/{github['repository']}"


def _carried(root: Path) -> dict[str, str]:
    """src_uri -> repository path of the Markdown carried from outside docs/."""
    found = {"index.md": HOME} if (root / HOME).is_file() else {}
    for pattern in CARRIED:
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            found[relative] = relative
    return found


def _folder_pages(folder: str, config: MkDocsConfig) -> list[str]:
    docs = Path(config.docs_dir)
    pages = {p.relative_to(docs).as_posix() for p in (docs / folder).rglob("*.md")}
    pages |= {uri for uri in _carried(_root(config)) if uri.startswith(folder)}
    if folder.rstrip("/") in INDEXED_FOLDERS:
        pages.add(f"{folder.rstrip('/')}/index.md")
    # The folder's own index first, then the rest in order (ADRs by number).
    return sorted(pages, key=lambda p: (Path(p).name not in {"README.md", "index.md"}, p))


def _expand(nav: Any, config: MkDocsConfig) -> Any:
    if isinstance(nav, list):
        return [_expand(item, config) for item in nav]
    if isinstance(nav, dict):
        return {title: _expand(value, config) for title, value in nav.items()}
    if isinstance(nav, str) and nav.endswith("/") and "://" not in nav:
        pages = _folder_pages(nav, config)
        if not pages:
            log.warning("nav entry %r names a folder without pages", nav)
        return pages
    return nav


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if config.nav:
        config.nav = _expand(config.nav, config)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    docs = Path(config.docs_dir).resolve()
    _repo_path.clear()
    for file in files:
        source = Path(file.abs_src_path).resolve() if file.abs_src_path else None
        if source and source.is_relative_to(docs):
            _repo_path[file.src_uri] = source.relative_to(root).as_posix()
    for src_uri, repo_path in _carried(root).items():
        if files.get_file_from_path(src_uri) is not None:
            log.warning("%s is carried to %s, where docs/ already has a file", repo_path, src_uri)
            continue
        files.append(File.generated(config, src_uri, abs_src_path=str(root / repo_path)))
        _repo_path[src_uri] = repo_path
    for folder, title in INDEXED_FOLDERS.items():
        uri = f"{folder}/index.md"
        has_pages = any((Path(config.docs_dir) / folder).glob("*.md"))
        if has_pages and files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=_index(folder, title, config)))
            _repo_path[uri] = f"{Path(config.docs_dir).name}/{folder}"
            _generated.add(uri)
    assets = _assets(root)
    if assets.is_dir():
        # Dot files are the setup script's version stamps, not assets.
        for asset in sorted(p for p in assets.iterdir() if not p.name.startswith(".")):
            uri = f"{ASSETS_FOLDER}/{asset.name}"
            files.append(File.generated(config, uri, abs_src_path=str(asset)))
    return files


def _title(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def _index(folder: str, title: str, config: MkDocsConfig) -> str:
    pages = sorted((Path(config.docs_dir) / folder).glob("*.md"))
    items = "\n".join(f"- [{_title(p)}]({p.name})" for p in pages)
    return f"# {title}\n\n{items}\n"


def _kind(root: Path) -> Any:
    def kind(repo_path: str) -> str | None:
        path = root / repo_path
        if path.is_dir():
            return "dir"
        return "file" if path.is_file() else None

    return kind


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri in _generated:
        return markdown
    root = _root(config)
    site = links.Site(
        pages={repo: uri for uri, repo in _repo_path.items()},
        kind=_kind(root),
        source_url=_source_url(root),
    )
    result = links.rewrite(markdown, _repo_path[page.file.src_uri], site)
    for problem in result.problems:
        log.warning(problem)
    return result.markdown


def on_post_build(config: MkDocsConfig) -> None:
    site = Path(config.site_dir)
    for script in config.extra_javascript:
        path = str(script)
        if "://" not in path and not (site / path).is_file():
            log.warning(
                "extra_javascript %s is not in the built site: run `make setup` "
                "(scripts/setup/docs.sh installs it)",
                path,
            )
