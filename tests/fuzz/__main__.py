"""``make fuzz``: the differential fuzzer's long mode.

    python -m tests.fuzz --examples 100000 [--seed 1]

Generates objects (``tests.fuzz.strategies``), runs each through the production path under the
production defaults and one more drawn cut (unit, block, chunk size) and through the reference
reader, and stops at the first divergence, shrunk to a minimal input by Hypothesis. Prints the
number of inputs, inputs/s and the divergences (0 or the one it stopped at).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from hypothesis import HealthCheck, given, seed, settings

from elt.devkit.differential import Config, check
from tests.fuzz.strategies import DEFAULT, configs, objects


def run(examples: int, random_seed: int | None, progress_every: int = 1000) -> int:
    stats = {"inputs": 0, "runs": 0}
    started = time.monotonic()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(objects(), configs)
    def fuzz(obj: tuple[str, bytes], config: Config) -> None:
        key, data = obj
        stats["inputs"] += 1
        stats["runs"] += 2
        if stats["inputs"] % progress_every == 0:
            rate = stats["inputs"] / (time.monotonic() - started)
            print(f"  {stats['inputs']} inputs, {rate:.1f}/s", flush=True)
        found = check(data, key, [DEFAULT, config])
        assert not found, "\n".join(found[:20])

    if random_seed is not None:
        fuzz = seed(random_seed)(fuzz)
    divergences = 0
    try:
        fuzz()
    except AssertionError as exc:  # Hypothesis has shrunk it; the input is in the notes
        divergences = 1
        notes = "\n".join(getattr(exc, "__notes__", []))
        print(f"DIVERGENCE (shrunk):\n{exc}\n{notes}", file=sys.stderr)
    except KeyboardInterrupt:  # a long run stopped by hand still reports what it checked
        print("interrupted", file=sys.stderr)
    elapsed = time.monotonic() - started
    print(
        f"fuzz: {stats['inputs']} inputs ({stats['runs']} production runs) in {elapsed:.1f} s = "
        f"{stats['inputs'] / elapsed:.1f} inputs/s; divergences: {divergences}"
    )
    return 1 if divergences else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "2000")))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    return run(args.examples, args.seed)


if __name__ == "__main__":
    sys.exit(main())
