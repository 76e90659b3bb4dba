#!/usr/bin/env python3
"""Build one deterministic zip per Lambda function under build/ — one rule for all functions —
and build/glue_libs.zip, the ``elt`` modules the Glue job scripts import.

A function is a directory ``lambdas/<name>/`` (or ``lambdas/workflows/<name>/``) holding
``app.py`` and ``requirements.txt``. Its zip holds:

* its requirements, installed as manylinux wheels for the Lambda runtime in lambdas/runtime.json
  (cached per requirements hash under build/.deps/);
* its own ``*.py`` files at the zip root (handler ``app.handler``);
* only the modules of the ``elt`` package it imports, found by following ``elt.*`` imports from
  app.py (so ingest ships neither the contracts nor pyarrow-based code).

Zips are byte-for-byte reproducible (sorted entries, fixed timestamps), so Terraform's
source_code_hash changes only when the code or dependencies do.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]
from importlib.util import cache_from_source, source_hash
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"
PACKAGE = "elt"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_PARTS = {"__pycache__", "bin", "tests"}


def runtime() -> dict[str, str]:
    return json.loads((LAMBDAS / "runtime.json").read_text())


def functions() -> dict[str, Path]:
    """Zip name → function directory, e.g. ``workflows_replay`` → lambdas/workflows/replay."""
    found = {}
    for app in sorted(LAMBDAS.rglob("app.py")):
        fn_dir = app.parent
        if (fn_dir / "requirements.txt").exists():
            found["_".join(fn_dir.relative_to(LAMBDAS).parts)] = fn_dir
    return found


def package_modules(entry: Path) -> set[Path]:
    """Files of the ``elt`` package reachable from ``entry`` through ``elt.*`` imports."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        source = todo.pop()
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name != PACKAGE and not name.startswith(f"{PACKAGE}."):
                    continue
                parts = name.split(".")
                # every package on the way (its __init__) plus the module itself
                for i in range(1, len(parts) + 1):
                    base = ROOT.joinpath(*parts[:i])
                    for candidate in (base / "__init__.py", base.with_suffix(".py")):
                        if candidate.exists() and candidate not in seen:
                            seen.add(candidate)
                            todo.append(candidate)
    return seen


def install_deps(name: str, requirements: Path, rt: dict[str, str]) -> Path:
    digest = hashlib.sha256(requirements.read_bytes() + json.dumps(rt, sort_keys=True).encode()).hexdigest()[:16]
    target = ROOT / "build" / ".deps" / f"{name}-{digest}"
    if (target / ".complete").exists():
        return target
    # Install next to the cache entry and rename into place: concurrent builds never see half a tree.
    staging = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    python_version = rt["runtime"].removeprefix("python")
    arch = {"x86_64": "x86_64", "arm64": "aarch64"}[rt["architecture"]]
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(staging), "--implementation", "cp", "--python-version", python_version,
        "--only-binary=:all:", "--platform", f"manylinux2014_{arch}",
        "-r", str(requirements),
    ]  # fmt: skip
    print(f"  installing {requirements.relative_to(ROOT)} for {rt['runtime']}/{rt['architecture']}", flush=True)
    subprocess.run(cmd, check=True)
    (staging / ".complete").write_text(digest)
    if target.exists() and not (target / ".complete").exists():
        shutil.rmtree(target)  # an interrupted pre-rename build
    try:
        staging.rename(target)
    except OSError:  # another build finished the same entry first
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / ".complete").exists():
            raise
    return target


def _write(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _pyc(source: bytes, name: str) -> bytes:
    """Bytecode valid regardless of file times (unchecked hash): Lambda's /var/task is read-only,
    so without it every cold start would compile every module again."""
    code = compile(source, name, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, source_hash(source), checked=False))


def add_tree(zf: zipfile.ZipFile, base: Path, files: list[Path], compile_pyc: bool) -> None:
    for path in sorted(files):
        rel = path.relative_to(base).as_posix()
        data = path.read_bytes()
        _write(zf, rel, data, 0o755 if path.stat().st_mode & 0o111 else 0o644)
        if compile_pyc and path.suffix == ".py":
            try:
                pyc = _pyc(data, rel)
            except SyntaxError:  # e.g. a vendored file for another Python version; it is never imported
                continue
            _write(zf, cache_from_source(rel), pyc)


def build(name: str, fn_dir: Path, out_dir: Path, rt: dict[str, str]) -> Path:
    deps = install_deps(name, fn_dir / "requirements.txt", rt)
    dep_files = [p for p in deps.rglob("*") if p.is_file() and p.name != ".complete" and not SKIP_PARTS & set(p.parts)]
    own = [p for p in fn_dir.glob("*.py")]
    modules = sorted(package_modules(fn_dir / "app.py"))
    zip_path = out_dir / f"{name}.zip"
    tmp = zip_path.with_suffix(".zip.tmp")
    compile_pyc = rt["runtime"] == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if not compile_pyc:
        print(f"  note: building with Python {sys.version.split()[0]}, not {rt['runtime']}: no bytecode packed")
    with zipfile.ZipFile(tmp, "w", compresslevel=6) as zf:
        add_tree(zf, deps, dep_files, compile_pyc)
        add_tree(zf, ROOT, modules, compile_pyc)
        add_tree(zf, fn_dir, own, compile_pyc)
    tmp.replace(zip_path)
    print(f"  build/{zip_path.name}: {zip_path.stat().st_size / 1e6:.1f} MB, {len(modules)} {PACKAGE} modules")
    return zip_path


def build_glue_libs(out_dir: Path) -> Path:
    """build/glue_libs.zip: the ``elt`` modules the job scripts in glue/jobs/ import (the jobs'
    logic and the dataset contracts they derive their checks from), for ``--extra-py-files``."""
    zip_path = out_dir / "glue_libs.zip"
    modules: set[Path] = set()
    for script in sorted((ROOT / "glue" / "jobs").glob("*.py")):
        modules |= package_modules(script)
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compresslevel=6) as zf:
        add_tree(zf, ROOT, sorted(modules), compile_pyc=False)  # Glue's Python compiles on its own
    tmp.replace(zip_path)
    print(f"  build/{zip_path.name}: {len(modules)} modules")
    return zip_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="functions to build (default: all)")
    parser.add_argument("--out", default=str(ROOT / "build"), help="output directory (default: build/)")
    args = parser.parse_args()
    rt = runtime()
    available = functions()
    unknown = set(args.names) - set(available)
    if unknown:
        parser.error(f"unknown function(s) {sorted(unknown)}; available: {sorted(available)}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.names or available:
        build(name, available[name], out_dir, rt)
    if not args.names:
        build_glue_libs(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
