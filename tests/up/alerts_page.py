"""Reading Prometheus' server-rendered alerts page (the classic UI Debian's package
ships, web/templates/alerts.html): each alerting rule is a header row whose class says
its state (alert-success inactive, alert-warning pending, alert-danger firing) with the
rule's name in bold."""

from __future__ import annotations

from html.parser import HTMLParser

ROW_STATE = {"alert-success": "inactive", "alert-warning": "pending", "alert-danger": "firing"}


class _AlertRows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, str] = {}
        self._row_state: str | None = None
        self._in_name = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "tr":
            self._row_state = None
            if "alert_header" in classes:
                self._row_state = next((ROW_STATE[c] for c in classes if c in ROW_STATE), "?")
        elif tag == "b" and self._row_state:
            self._in_name = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "b":
            self._in_name = False

    def handle_data(self, data: str) -> None:
        if self._in_name and self._row_state and data.strip():
            self.states[data.strip()] = self._row_state


def rule_states(html: str) -> dict[str, str]:
    """Alerting rule name -> the state the page shows it in."""
    parser = _AlertRows()
    parser.feed(html)
    return parser.states
