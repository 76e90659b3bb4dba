#!/usr/bin/env python3
"""Scaffold a new dataset: its contract model, its registry entry, a sample and a test.

  make scaffold DATASET=orders
  scripts/scaffold_dataset.py orders --key-field order_id --description "A customer order."

Creates (and refuses to overwrite):

  elt/contracts/<name>.py   the pydantic contract (example fields to replace), class <Singular>
  elt/contracts/registry.py + the import and the CONTRACTS entry
  tests/data/samples/<name>.jsonl      records generated from the contract (scripts/gen_fake_events.py)
  tests/unit/test_dataset_<name>.py    registry, validation of the sample on both transform paths,
                                       bad records rejected, the quality suite derived from the contract

The data-quality expectations need no file of their own: the GX gate derives them from the
contract's annotations (required fields, Field ranges, Key lengths, Literal values), and the test
checks that they do. `make test` passes right after scaffolding. Then: edit the fields (and
regenerate the sample with gen_fake_events.py --type <name> --seed 0), add business keys to
UNIQUE_COLUMNS in elt/jobs/quality.py if any, and `make build tf-apply` so the
deployed transform accepts the new record_type.

The name must be a lower-case Python identifier (it is the record_type, a module name and an
S3/Glue table name part). Exit codes: 0 scaffolded, 1 writing failed, 2 a bad or taken name.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import keyword
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from string import Template

from scripts.operator_cli import OperationError, UsageError, run_guarded

ROOT = Path(__file__).resolve().parent.parent

NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME = 48
TEMPLATES = Path(__file__).resolve().parent / "templates"
SAMPLE_LINES = 20
#: Fixed generation time: the sample is the same on every machine.
SAMPLE_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def singular(name: str) -> str:
    """``orders`` → ``order``, ``invoice_lines`` → ``invoice_line`` (a plain trailing ``s`` only)."""
    return name[:-1] if name.endswith("s") and not name.endswith("ss") and len(name) > 3 else name


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in singular(name).split("_"))


def check_name(name: str, root: Path) -> None:
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        raise UsageError(
            f"dataset name {name!r} is not a lower-case identifier (a-z, 0-9, single '_' between words, "
            f"starting with a letter, at most {MAX_NAME} characters)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in {"base", "registry", "spec"}:
        raise UsageError(f"dataset name {name!r} is reserved (a Python keyword or a module of elt.contracts)")
    from elt.contracts import CONTRACTS

    if name in CONTRACTS:
        raise UsageError(f"dataset {name!r} already exists ({CONTRACTS[name].__module__}.{CONTRACTS[name].__name__})")
    taken = [p for p in planned_paths(name, root).values() if p.exists()]
    if taken:
        raise UsageError(f"dataset {name!r}: {taken[0].relative_to(root)} already exists")
    models = {model.__name__ for model in CONTRACTS.values()}
    if class_name(name) in models:
        raise UsageError(f"dataset {name!r}: a contract class {class_name(name)} already exists")


def planned_paths(name: str, root: Path) -> dict[str, Path]:
    return {
        "contract": root / "elt" / "contracts" / f"{name}.py",
        "sample": root / "tests" / "data" / "samples" / f"{name}.jsonl",
        "test": root / "tests" / "unit" / f"test_dataset_{name}.py",
    }


def register(registry_source: str, module: str, cls: str) -> str:
    """The registry with ``cls`` imported (in sorted place) and appended to the CONTRACTS tuple."""
    lines = registry_source.splitlines(keepends=True)
    tree = ast.parse(registry_source)
    imports = [
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("elt.contracts.")
    ]
    models = next(
        (
            node.iter
            for node in ast.walk(tree)
            if isinstance(node, ast.comprehension) and isinstance(node.iter, ast.Tuple)
        ),
        None,
    )
    if not imports or models is None or models.end_lineno is None:
        raise OperationError("registry.py does not have the expected shape (imports + `for model in (...)`)")
    new_import = f"from elt.contracts.{module} import {cls}\n"
    after = [node for node in imports if (node.module or "") < f"elt.contracts.{module}"]
    import_at = after[-1].end_lineno if after else imports[0].lineno - 1
    assert import_at is not None
    close_at = models.end_lineno - 1  # the line holding the tuple's ")"
    indent = re.match(r"\s*", lines[models.elts[-1].lineno - 1]).group(0) if models.elts else "        "  # type: ignore[union-attr]
    lines.insert(close_at, f"{indent}{cls},\n")
    lines.insert(import_at, new_import)
    return "".join(lines)


def scaffold(name: str, key_field: str, description: str, root: Path = ROOT) -> dict[str, Path]:
    check_name(name, root)
    if not NAME.fullmatch(key_field) or key_field in {"record_type", "event_time"} or keyword.iskeyword(key_field):
        raise UsageError(f"--key-field {key_field!r} is not a usable field name")
    paths = planned_paths(name, root)
    registry = root / "elt" / "contracts" / "registry.py"
    values = {"name": name, "class_name": class_name(name), "key_field": key_field, "description": description}
    new_registry = register(registry.read_text(), name, values["class_name"])
    created: list[Path] = []
    try:
        for kind, template in (("contract", "contract.py.tmpl"), ("test", "test_dataset.py.tmpl")):
            paths[kind].parent.mkdir(parents=True, exist_ok=True)
            paths[kind].write_text(Template((TEMPLATES / template).read_text()).substitute(values))
            created.append(paths[kind])
        importlib.invalidate_caches()
        model = getattr(importlib.import_module(f"elt.contracts.{name}"), values["class_name"])
        from scripts.gen_fake_events import FakeEvents

        generator = FakeEvents(seed=0, now=SAMPLE_NOW, contracts={name: model})
        paths["sample"].parent.mkdir(parents=True, exist_ok=True)
        paths["sample"].write_text("".join(line + "\n" for line, _ in generator.lines(SAMPLE_LINES, (name,))))
        created.append(paths["sample"])
        registry.write_text(new_registry)
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="dataset name = record_type, e.g. orders")
    parser.add_argument("--key-field", help="the required key field (default <singular>_id, e.g. order_id)")
    parser.add_argument("--description", help="one line saying what a record is")
    args = parser.parse_args(argv)

    def run() -> int:
        key_field = args.key_field or f"{singular(args.name)}_id"
        description = args.description or f"One {singular(args.name).replace('_', ' ')} record."
        if '"' in description or "\\" in description or "\n" in description:
            raise UsageError("--description must not contain quotes, backslashes or newlines")
        paths = scaffold(args.name, key_field, description)
        for path in paths.values():
            print(f"created {path.relative_to(ROOT)}")
        print("updated elt/contracts/registry.py")
        sample = paths["sample"].relative_to(ROOT)
        print(f"next: edit the fields in {paths['contract'].relative_to(ROOT)}; regenerate the sample with")
        print(f"  scripts/gen_fake_events.py --type {args.name} --seed 0 --count {SAMPLE_LINES} --out {sample}")
        print("then `make test`, and `make build tf-apply` so the deployed transform accepts it")
        return 0

    return run_guarded(run)


if __name__ == "__main__":
    sys.exit(main())
