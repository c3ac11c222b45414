"""One probe-like HTTP request: the status, or why there was none, within a timeout."""

from __future__ import annotations

import httpx


def status(url: str, timeout: float) -> int | str:
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.TimeoutException:
        return f"no answer within {timeout:g}s"
    except httpx.HTTPError as error:
        return f"{type(error).__name__}"


def ok(answer: int | str) -> bool:
    """What the kubelet counts as a passing HTTP probe: 200 <= status < 400."""
    return isinstance(answer, int) and 200 <= answer < 400
