"""The documentation site builds offline with every link checked, and opens in a browser.

`mkdocs build --strict` (mkdocs.yml, ADR 0083) turns every warning into a failure: a
link to a missing file or anchor, a page left out of the nav. The built site is served
on loopback and opened in headless Chromium with every other host unresolvable, so a
page that needed the internet (web fonts, a CDN copy of Mermaid) would show it here.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support import chromium
from tests.support.tools import prerequisite_missing
from tools.docs_site import links

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "tools" / "docs_site" / "hooks.py"
MERMAID = (
    Path(os.environ.get("DEPOT_CACHE_DIR", ROOT / ".cache")) / "docs-assets" / "mermaid.min.js"
)
INSTALLED_BY = "scripts/setup/docs.sh (make setup or make docs-setup)"
# The pages the README used to hold, and the knowledge the site must carry.
PAGES = (
    "getting-started",
    "architecture",
    "layers",
    "stand-ins",
    "traceability",
    "figures",
    "left-to-do",
    "capacity",
    "runbooks",
    "adr",
)
RUNBOOK = "service-availability-burn"
# Only loopback resolves: anything the page tries to fetch from elsewhere fails.
SITE_BROWSING = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--virtual-time-budget=10000",
)


def _mkdocs(
    config: Path, site: Path, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if cache is not None:
        env["DEPOT_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MERMAID.is_file():
        prerequisite_missing(f"{MERMAID.name} is missing; it is installed by {INSTALLED_BY}")
    out = tmp_path_factory.mktemp("site")
    result = _mkdocs(ROOT / "mkdocs.yml", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


class _Recorder(SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.requested.append(self.path)


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[tuple[str, list[str]]]:
    requested: list[str] = []
    handler = type("Handler", (_Recorder,), {"requested": requested})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _dom(url: str, workdir: Path) -> str:
    return chromium.browse(url, *SITE_BROWSING, "--dump-dom", workdir=workdir)


def _text(dom: str) -> str:
    """The page's text: code blocks are split into highlighted spans."""
    return html.unescape(re.sub(r"<[^>]+>", "", dom))


# --- the build ------------------------------------------------------------------------


def test_every_page_the_readme_held_and_the_knowledge_is_on_the_site(site: Path) -> None:
    missing = [page for page in PAGES if not (site / page / "index.html").is_file()]
    assert not missing, f"pages missing from the site: {missing}"
    table = (site / "traceability" / "index.html").read_text()
    assert re.search(r"<td>73</td>", table), "the traceability table lost its last row"


def test_every_markdown_file_of_the_repository_is_on_the_site(site: Path) -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        prerequisite_missing("git and a clone are needed to list the repository's Markdown")
    tracked = subprocess.run(
        [git, "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    missing = []
    for path in tracked:
        page = path.removeprefix("docs/")
        if page == "README.md":
            page = "index.md"
        folder = page.removesuffix(".md").removesuffix("README").removesuffix("index")
        if not (site / folder / "index.html").is_file():
            missing.append(path)
    assert not missing, (
        f"Markdown files not on the site: {missing}; add their folder's pattern to CARRIED "
        "in tools/docs_site/hooks.py (outside docs/) or a nav entry in mkdocs.yml"
    )


# Elements whose URL the browser fetches by itself when it shows the page.
_FETCHED = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=\"([^\"]+)\""
    r"|<link\b[^>]*\bhref=\"([^\"]+)\"",
)


def external_resources(page: str) -> list[str]:
    urls = [a or b for a, b in _FETCHED.findall(page)]
    return [u for u in urls if re.match(r"^(?:[a-z]+:)?//", u)]


def test_the_external_resource_check_finds_web_fonts() -> None:
    fonts = '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
    assert external_resources(fonts) == ["https://fonts.googleapis.com/css?family=Roboto"]
    assert external_resources('<a href="https://example.org/">x</a><link href="a.css">') == []


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    found = {
        str(page.relative_to(site)): external
        for page in site.rglob("*.html")
        if (external := external_resources(page.read_text()))
    }
    assert not found, f"pages that fetch from the internet: {found}"


# --- in a browser ---------------------------------------------------------------------


def test_home_page_opens_with_the_architecture_picture_drawn_locally(
    served: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, requested = served
    dom = _dom(f"{base}/", tmp_path)
    text = _text(dom)
    assert "depot platform" in text
    assert 'id="two-commands"' in dom and "make run" in text and "make test" in text
    # Material swaps the <pre class="mermaid"> source for a drawn <div class="mermaid">
    # only once Mermaid has rendered it.
    assert '<div class="mermaid">' in dom, "the architecture picture was not drawn"
    assert "flowchart LR" not in dom
    assert "/javascripts/mermaid.min.js" in requested


def test_without_the_local_mermaid_the_picture_stays_source(
    site: Path, served: tuple[str, list[str]], tmp_path: Path
) -> None:
    """Negative control: the check above sees a picture Mermaid could not draw."""
    base, _ = served
    home = (site / "index.html").read_text()
    stripped = home.replace('<script src="javascripts/mermaid.min.js"></script>', "")
    assert stripped != home
    (site / "without-mermaid.html").write_text(stripped)
    dom = _dom(f"{base}/without-mermaid.html", tmp_path)
    assert "flowchart LR" in dom, "the diagram's source should still be on the page"
    assert '<div class="mermaid">' not in dom


def test_a_runbook_opens_with_its_title_and_the_site_nav(
    served: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, _ = served
    source = (ROOT / "docs" / "runbooks" / f"{RUNBOOK}.md").read_text()
    title = source.splitlines()[0].removeprefix("# ")
    dom = html.unescape(_dom(f"{base}/runbooks/{RUNBOOK}/", tmp_path))
    assert re.search(rf"<h1[^>]*>{re.escape(title)}", dom), f"no <h1> {title!r}"
    assert "Runbooks" in dom and "Traceability" in dom, "the site's navigation is missing"


# --- links written for GitHub, checked on the site ------------------------------------


def _project(root: Path, page_links: str) -> Path:
    """A tiny repository with the site's hooks: README, one docs page, one component."""
    (root / "docs").mkdir(parents=True)
    (root / "services" / "x").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("")
    (root / "README.md").write_text("# t\n\n[page](docs/page.md) [x](services/x/README.md)\n")
    (root / "services" / "x" / "README.md").write_text("# x\n\n[back](../../docs/page.md#part)\n")
    (root / "docs" / "page.md").write_text(f"# p\n\n## Part\n\n{page_links}\n")
    (root / "platform-settings.yaml").write_text(
        "applied:\n  github:\n    owner: o\n    repository: r\n"
    )
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: t\n"
        "theme: mkdocs\n"
        f"hooks:\n  - {HOOKS}\n"
        "validation:\n  nav:\n    omitted_files: warn\n"
        "  links:\n    not_found: warn\n    anchors: warn\n    unrecognized_links: warn\n"
    )
    return config


def test_links_to_carried_pages_and_sources_are_mapped(tmp_path: Path) -> None:
    config = _project(tmp_path / "repo", "[home](../README.md) [src](../src/app.py)")
    result = _mkdocs(config, tmp_path / "site", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "page" / "index.html").read_text()
    assert 'href="https://github.com/o/r/blob/main/src/app.py"' in page
    assert 'href="../"' in page
    home = (tmp_path / "site" / "index.html").read_text()
    assert 'href="services/x/"' in home


def test_a_link_to_nothing_fails_the_strict_build(tmp_path: Path) -> None:
    config = _project(tmp_path / "repo", "[gone](../nowhere.md)")
    result = _mkdocs(config, tmp_path / "site", cache=tmp_path / "cache")
    assert result.returncode != 0
    assert "links to '../nowhere.md', which does not exist" in result.stderr


def test_a_link_to_a_missing_anchor_fails_the_strict_build(tmp_path: Path) -> None:
    config = _project(tmp_path / "repo", "[part](../services/x/README.md#no-such-part)")
    result = _mkdocs(config, tmp_path / "site", cache=tmp_path / "cache")
    assert result.returncode != 0
    assert "does not contain an anchor '#no-such-part'" in result.stderr


def test_links_inside_code_blocks_are_left_alone() -> None:
    site = links.Site(pages={"a.md": "a.md"}, kind=lambda _: None, source_url="https://h/o/r")
    markdown = "```\n[x](../missing.md)\n```\n"
    result = links.rewrite(markdown, "a.md", site)
    assert result.markdown == markdown and result.problems == []
