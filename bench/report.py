"""The result table: one row per measurement, its baseline, the ratio and the target; and results.json."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.stats import ratio as _ratio


@dataclass
class Row:
    bench: str
    name: str
    value: float
    baseline: float | None
    unit: str
    target: str = ""
    passed: bool | None = None  # None: no target, reported for information
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else _ratio(self.value, self.baseline)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None or math.isnan(self.ratio) else round(self.ratio, 4)
        return data


def _num(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit in ("req/s",):
        text = f"{value:.0f}"
    elif unit == "":
        text = f"{value:g}"
    else:
        text = f"{value:.1f}"
    return f"{text} {unit}".strip()


def _result(row: Row) -> str:
    if row.passed is None:
        return "info"
    return "PASS" if row.passed else "FAIL"


def table(rows: list[Row]) -> str:
    header = ("benchmark", "measurement", "value", "baseline", "ratio", "target", "result")
    lines = [
        (
            r.bench,
            r.name + (f" ({r.note})" if r.note else ""),
            _num(r.value, r.unit),
            _num(r.baseline, r.unit),
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target or "-",
            _result(r),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    right = {2, 3, 4}

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])


def _rounded(value: Any) -> Any:
    """Floats to 4 decimals (0.1 ms for seconds), all the way down."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def write_json(path: Path, rows: list[Row], details: dict[str, Any], started: float, argv: list[str]) -> None:
    payload = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "python -m bench " + " ".join(argv),
        "duration_seconds": round(time.monotonic() - started, 1),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "rows": [r.as_json() for r in rows],
        "details": _rounded(details),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
