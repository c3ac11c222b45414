"""Every add-on chart pin and every values key we set is in the verified record."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.delivery import chart_pins


def test_every_chart_pin_and_values_key_is_recorded_as_verified() -> None:
    assert chart_pins.pin_violations() == []


def test_every_record_names_its_source_commit_and_date() -> None:
    for addon, entry in chart_pins.record().items():
        assert len(entry["source"]["commit"]) == 40, addon
        assert entry["source"]["repository"].startswith("https://github.com/"), addon
        assert str(entry["verified"]).startswith("20"), addon
        assert entry["values_keys"], addon


def _copy(tmp_path: Path) -> tuple[Path, Path, Path]:
    addons, record = tmp_path / "addons.yaml", tmp_path / "charts.yaml"
    addons.write_text(chart_pins.ADDONS.read_text())
    record.write_text(chart_pins.RECORD.read_text())
    values = tmp_path / "values-root"
    (values / "values").mkdir(parents=True)
    for path in (chart_pins.VALUES / "values").glob("*.yaml"):
        (values / "values" / path.name).write_text(path.read_text())
    return addons, record, values


def test_an_unrecorded_or_changed_pin_fails(tmp_path: Path) -> None:
    addons, record, values = _copy(tmp_path)
    addons.write_text(addons.read_text().replace("version: 0.39.2", "version: 0.39.0"))
    errors = chart_pins.pin_violations(addons, record, values)
    assert any("version 0.39.0 but the record verified 0.39.2" in e for e in errors), errors
    data = yaml.safe_load(record.read_text())
    data["charts"] = [c for c in data["charts"] if c["addon"] != "keda"]
    record.write_text(yaml.safe_dump(data))
    errors = chart_pins.pin_violations(addons, record, values)
    assert any(e.startswith("keda: chart pin not recorded") for e in errors), errors


def test_an_unverified_values_key_fails(tmp_path: Path) -> None:
    addons, record, values = _copy(tmp_path)
    loki = values / "values" / "loki.yaml"
    loki.write_text(loki.read_text() + "chunkCache:\n  enabled: false\n")  # a typo
    errors = chart_pins.pin_violations(addons, record, values)
    assert errors == ["loki: values key chunkCache.enabled is not verified in the record"]
