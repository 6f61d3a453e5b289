"""docs/reliability.md promises behaviour case by case: every row must name tests, and every test
it names must exist (a renamed or deleted test would leave a promise nobody checks)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _table_rows(text: str) -> list[str]:
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= {"|", "-", " "}:
            continue
        if line.startswith(("| case |", "| target |", "| parser |")):
            continue  # a header
        rows.append(line)
    return rows


def test_every_case_is_backed_by_a_test_that_exists():
    text = DOC.read_text()
    rows = _table_rows(text.split("## The soak")[0])  # the soak's table holds measurements
    assert len(rows) >= 40
    for row in rows:
        assert REFERENCE.search(row), f"a case without a test: {row[:80]}"
    missing = []
    for path, name in REFERENCE.findall(text):
        source = ROOT / path
        if not source.is_file() or not re.search(rf"^\s*def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"
