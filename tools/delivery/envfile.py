"""Reading and rewriting the image reference of an environment values file.

Edits are made line by line at the positions ruamel.yaml reports, never by re-dumping
the document: comments, quoting, key order and indentation stay exactly as reviewers
wrote them, and a pull request's diff shows only the lines that changed.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from tools.delivery.images import ImageRef, validate_digest, validate_tag

IMAGE_FIELDS = ("tag", "digest")


class EnvFileError(ValueError):
    """An environment file that cannot be read or edited safely."""


def _load(text: str, source: Path) -> CommentedMap:
    try:
        data = YAML(typ="rt").load(StringIO(text))
    except Exception as error:  # ruamel raises several unrelated error types
        raise EnvFileError(f"{source}: not valid YAML: {error}") from error
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise EnvFileError(f"{source}: the top level must be a mapping of chart values")
    return data


def read_image(path: Path) -> ImageRef:
    """The tag and digest an environment runs, refusing anything not deployable."""
    data = _load(path.read_text(), path)
    image = data.get("image")
    where = f"{path.name}: image"
    if not isinstance(image, dict):
        raise EnvFileError(f"{where} is missing; set image.tag and image.digest")
    return ImageRef(
        tag=validate_tag(image.get("tag"), f"{where}.tag"),
        digest=validate_digest(image.get("digest"), f"{where}.digest"),
    )


def write_image(path: Path, ref: ImageRef) -> bool:
    """Set image.tag and image.digest; returns whether the file changed."""
    original = path.read_text()
    updated = set_image_text(original, ref, path)
    if updated == original:
        return False
    _load(updated, path)  # never leave an unparsable file behind
    path.write_text(updated)
    return True


def set_image_text(text: str, ref: ImageRef, source: Path) -> str:
    data = _load(text, source)
    lines = text.splitlines(keepends=True)
    values = {"tag": ref.tag, "digest": ref.digest}
    image = data.get("image")
    if image is None:
        return _append_image_block(text, values)
    if not isinstance(image, CommentedMap) or image.fa.flow_style():
        raise EnvFileError(
            f"{source}: image must be a block mapping (one key per line) so it can be "
            "edited without reformatting the file"
        )
    missing = [name for name in IMAGE_FIELDS if name not in image]
    for name in IMAGE_FIELDS:
        if name in image:
            line_no, _ = image.lc.key(name)
            lines[line_no] = _replace_value(lines[line_no], name, values[name], source)
    if missing:
        lines = _insert_keys(lines, image, {name: values[name] for name in missing})
    return "".join(lines)


_VALUE_LINE = r"^(?P<head>\s*{key}:[ \t]*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s#]*)(?P<tail>.*)$"


def _replace_value(line: str, key: str, value: str, source: Path) -> str:
    body, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
    match = re.match(_VALUE_LINE.format(key=re.escape(key)), body)
    if not match:
        raise EnvFileError(
            f"{source}: image.{key} must sit on one line as `{key}: <value>` to be edited"
        )
    old = match.group("value")
    quote = old[0] if old[:1] in {'"', "'"} else ""
    return f"{match.group('head')}{quote}{value}{quote}{match.group('tail')}{newline}"


def _insert_keys(lines: list[str], image: CommentedMap, values: dict[str, str]) -> list[str]:
    """Add missing keys right after the last existing key of the image mapping."""
    keys = list(image.keys())
    if not keys or isinstance(image[keys[-1]], dict | list):
        # Only a one-line scalar is known to end on its own line.
        raise EnvFileError(
            "image must end with a one-line key (e.g. tag or repository) so the missing "
            f"keys {', '.join(values)} can be added after it; add them by hand once"
        )
    last_line, column = image.lc.key(keys[-1])
    indent = " " * column
    position = last_line + 1
    new = [f"{indent}{name}: {value}\n" for name, value in values.items()]
    if position > 0 and not lines[position - 1].endswith("\n"):
        lines[position - 1] += "\n"
    return lines[:position] + new + lines[position:]


def _append_image_block(text: str, values: dict[str, str]) -> str:
    prefix = text if not text or text.endswith("\n") else text + "\n"
    block = "image:\n" + "".join(f"  {name}: {value}\n" for name, value in values.items())
    return prefix + block


def load_values(path: Path) -> Any:
    """A values file as plain data (used by checks that only read)."""
    return _load(path.read_text(), path)
