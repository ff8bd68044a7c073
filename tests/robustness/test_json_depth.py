"""`lib.web.parsing.loads` bounds nesting at `MAX_DEPTH`, counted on the parsed value (brackets inside strings are text)."""

from __future__ import annotations

import pytest

from lib.web.parsing import MAX_DEPTH, BadInput, loads


def _arrays(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _objects(levels: int) -> bytes:
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


@pytest.mark.parametrize("build", [_arrays, _objects])
def test_max_depth_is_allowed_and_one_more_refused(build) -> None:  # type: ignore[no-untyped-def]
    assert loads(build(MAX_DEPTH)) is not None
    with pytest.raises(BadInput, match=f"nests deeper than {MAX_DEPTH} levels"):
        loads(build(MAX_DEPTH + 1))


@pytest.mark.parametrize("raw", [_arrays(50_000), b"[" * 1_000_000, _objects(100_000), "[" * 50_000])
def test_hostile_nesting_is_a_bad_input_not_a_recursion_error(raw: bytes | str) -> None:
    with pytest.raises(BadInput, match="nests deeper"):
        loads(raw)


def test_brackets_and_escaped_quotes_inside_strings_do_not_count() -> None:
    text = '"' + "[{" * 500 + '\\"' + "[" * 100 + '\\\\"'
    value = loads(f'[[{text}, {{"k": {text}}}]]'.encode())
    assert value[0][0].startswith("[{") and value[0][0].endswith('\\')
