"""The benchmark's arithmetic and table (no timing here: benchmarks run with `make bench`, never in CI)."""

from bench.report import Row, table
from bench.stats import percentile


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile(list(range(101)), 99) == 99.0


def test_table_shows_ratio_target_and_result() -> None:
    rows = [
        Row("ingest", "throughput", 350.0, 3000.0, "req/s", target=">= 0.7x", passed=False),
        Row("memory", "peak RSS", 101.0, 100.0, "MB", target="<= 1.10x", passed=True),
        Row("pipeline", "overhead", 9.0, None, "ms"),
    ]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["benchmark", "measurement", "value", "baseline", "ratio", "target", "result"]
    assert "0.12x" in lines[2] and lines[2].endswith("FAIL")
    assert "1.01x" in lines[3] and lines[3].endswith("PASS")
    assert lines[4].endswith("info") and " - " in lines[4]
