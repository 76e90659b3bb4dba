"""The differential fuzzer, bounded: production and reference reader agree on generated objects
(``make fuzz`` is the long mode), and on every file of the bad-input corpus under tiny and odd
unit, block and read-chunk sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from elt.devkit.differential import Config, check
from tests.fuzz.strategies import DEFAULT, configs, objects

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"
CUTS = [DEFAULT, Config(1, 1, 1), Config(7, 3, 5), Config(333, 17, 64)]


@settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(objects(), configs)
def test_production_agrees_with_the_reference_reader(obj: tuple[str, bytes], config: Config) -> None:
    key, data = obj
    assert check(data, key, [DEFAULT, config]) == []


@pytest.mark.parametrize(
    "path",
    sorted(p for p in CORPUS.iterdir() if p.name != "cases.json" and p.stat().st_size < 1 << 20),
    ids=lambda p: p.name,
)
def test_every_corpus_file_agrees_at_every_cut(path: Path) -> None:
    assert check(path.read_bytes(), f"bronze/corpus/{path.name}", CUTS) == []
