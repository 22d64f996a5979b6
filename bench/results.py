"""Where a benchmark leaves its numbers: bench/results/NAME.json and NAME.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")


def save(name: str, report: Any, table: str) -> None:
    """Write the report (JSON) and its table (Markdown), then print the table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(table)
    print("\n" + table)
