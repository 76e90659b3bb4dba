"""`make scaffold DATASET=orders` in a copy of the repo, then the generated and the contract tests
there; the generator's records for a dataset it has no hand-tuned values for; refused names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import Field, StrictBool, StrictFloat, StrictInt

from elt.contracts.base import DatasetSpec, EventTime, Key, RecordContract, Text
from elt.records import Rejection, SourceContext, Validator
from scripts import scaffold_dataset
from scripts.gen_fake_events import FakeEvents

ROOT = Path(__file__).resolve().parents[2]
#: What the scaffold and the tests it runs need from the repo (no .venv, build output or state).
COPIED = ["pyproject.toml", "elt", "scripts", "tests/conftest.py"]
#: The contract, registry and contract-derived quality-suite tests, which iterate over every dataset.
CONTRACT_TESTS = ["tests/unit/test_records.py", "tests/unit/test_glue_config.py"]


def _copy_repo(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for item in [*COPIED, *CONTRACT_TESTS]:
        source, dest = ROOT / item, target / item
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=ignore)
        else:
            shutil.copy2(source, dest)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The copy's packages first: the venv's editable install points at this checkout's.
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_scaffold_orders_then_its_tests_pass(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _copy_repo(repo)
    scaffolded = _run([sys.executable, "scripts/scaffold_dataset.py", "orders"], repo)
    assert scaffolded.returncode == 0, scaffolded.stderr
    generated = [
        "elt/contracts/orders.py",
        "tests/data/samples/orders.jsonl",
        "tests/unit/test_dataset_orders.py",
    ]
    assert all((repo / path).is_file() for path in generated)
    registry = (repo / "elt/contracts/registry.py").read_text()
    assert "from elt.contracts.orders import Order\n" in registry and "        Order,\n" in registry
    contract = (repo / "elt/contracts/orders.py").read_text()
    assert 'DatasetSpec("orders", key_field="order_id"' in contract
    assert len((repo / "tests/data/samples/orders.jsonl").read_text().splitlines()) == 20

    # What `make lint` checks of Python: the generated code and the edited registry are clean.
    ruff = ROOT / ".venv" / "bin" / "ruff"
    if ruff.exists():
        files = [*generated[:1], generated[2], "elt/contracts/registry.py"]
        lint = _run([str(ruff), "check", "--no-cache", *files], repo)
        assert lint.returncode == 0, lint.stdout
        fmt = _run([str(ruff), "format", "--check", "--no-cache", *files], repo)
        assert fmt.returncode == 0, fmt.stdout

    generated_test = "tests/unit/test_dataset_orders.py"
    tests = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", generated_test, *CONTRACT_TESTS], repo
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "failed" not in summary and "skipped" not in summary, summary

    # A second run refuses the now-existing dataset and changes nothing.
    before = registry
    again = _run([sys.executable, "scripts/scaffold_dataset.py", "orders"], repo)
    assert again.returncode == 2
    assert "dataset 'orders' already exists" in again.stderr
    assert (repo / "elt/contracts/registry.py").read_text() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("shipments", "dataset 'shipments' already exists"),
        ("Orders", "is not a lower-case identifier"),
        ("9lives", "is not a lower-case identifier"),
        ("order-lines", "is not a lower-case identifier"),
        ("class", "is reserved"),
        ("registry", "is reserved"),
    ],
)
def test_scaffold_refuses_taken_or_invalid_names(name: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    registry = (ROOT / "elt/contracts/registry.py").read_text()
    assert scaffold_dataset.main([name]) == 2
    assert message in capsys.readouterr().err
    assert (ROOT / "elt/contracts/registry.py").read_text() == registry
    assert not (ROOT / "elt/contracts" / f"{name}.py").exists() or name in {"shipments", "registry"}


def test_register_inserts_import_in_order_and_entry_last() -> None:
    source = (
        '"""Doc."""\n\nfrom elt.contracts.base import RecordContract\nfrom elt.contracts.alpha import Alpha\n'
        "from elt.contracts.zulu import Zulu\n\nCONTRACTS = {\n    m.dataset.name: m\n    for m in (\n"
        "        Alpha,\n        Zulu,\n    )\n}\n"
    )
    result = scaffold_dataset.register(source, "mike", "Mike")
    assert result.splitlines()[4:6] == [
        "from elt.contracts.mike import Mike",
        "from elt.contracts.zulu import Zulu",
    ]
    assert "        Zulu,\n        Mike,\n    )\n" in result


class Reading(RecordContract):
    """A contract with every field kind the derivation supports."""

    dataset = DatasetSpec("readings", key_field="sensor_id", description="A sensor reading.")

    record_type: Literal["readings"]
    sensor_id: Key
    celsius: Annotated[StrictFloat | None, Field(gt=-90, lt=60)] = None
    samples: Annotated[StrictInt | None, Field(ge=1)] = None
    calibrated: StrictBool | None = None
    seen_at: EventTime | None = None
    city: Text | None = None
    mode: Literal["AUTO", "MANUAL"] | None = None


def test_generator_derives_valid_and_invalid_records_from_any_contract() -> None:
    contracts: dict[str, type[RecordContract]] = {"readings": Reading}
    validator = Validator(contracts)
    ctx = SourceContext(
        "b",
        "bronze/readings/x.jsonl",
        "e",
        FakeEvents(seed=1).now,
        FakeEvents(seed=1).now.replace(year=2000),
        None,
        1 << 20,
    )
    generator = FakeEvents(seed=11, contracts=contracts)
    outcomes = [
        (validator.validate_line(line.encode(), 1, ctx), ok) for line, ok in generator.lines(400, ("readings",), 0.3)
    ]
    assert sum(ok for _, ok in outcomes) > 200
    for outcome, ok in outcomes:
        assert isinstance(outcome, Rejection) != ok, outcome
    rows = [outcome[1] for outcome, ok in outcomes if ok and isinstance(outcome, tuple)]
    assert len({row["sensor_id"] for row in rows}) == len(rows)  # keys are unique per generator
    assert all(-90 < row["celsius"] < 60 and row["samples"] >= 1 and row["mode"] in {"AUTO", "MANUAL"} for row in rows)
    again = FakeEvents(seed=11, now=generator.now, contracts=contracts)
    assert [line for line, _ in again.lines(50, ("readings",), 0.3)] == [
        line for line, _ in FakeEvents(seed=11, now=generator.now, contracts=contracts).lines(50, ("readings",), 0.3)
    ]
