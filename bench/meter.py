"""What the bench counts: AWS requests (botocore event hooks), handler CPU, peak memory.

Requests are counted on ``before-call`` of every client created from the hooked session, one per
API call, tagged with the phase that is running (ingest, transform, or the event source
mapping's polling). CPU is the process's CPU time; in-process runs subtract the time the
emulator (moto) spends answering, measured per thread, so the figure is the handler's own work.
"""

from __future__ import annotations

import resource
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


class RequestCounter:
    """Counts API calls per ``phase`` and ``service:Operation``."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.counts: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    def install(self, botocore_session: Any) -> None:
        """Hook a botocore session; clients created from it afterwards are counted."""
        botocore_session.register("before-call", self._on_call)

    def _on_call(self, model: Any, **_: Any) -> None:
        if self.phase is None:
            return  # set-up and uploads are the producer's requests, not the pipeline's
        name = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self.counts.setdefault(self.phase, Counter())[name] += 1

    @contextmanager
    def counting(self, phase: str) -> Iterator[None]:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous

    def total(self, phase: str | None = None) -> Counter[str]:
        out: Counter[str] = Counter()
        for name, counts in self.counts.items():
            if phase is None or name == phase:
                out.update(counts)
        return out


class EmulatorClock:
    """CPU-seconds the in-process emulator spends answering requests (all threads)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._installed = False

    def install(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        if self._installed:
            return
        original = BotocoreStubber.__call__
        clock = self

        def timed(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return original(stubber, event_name, request, **kwargs)
            finally:
                spent = time.thread_time() - started
                with clock._lock:
                    clock.seconds += spent

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign,assignment]
        self._installed = True


class CpuMeter:
    """Handler CPU-seconds and wall time over a block, net of the emulator's share."""

    def __init__(self, emulator: EmulatorClock | None = None) -> None:
        self.emulator = emulator
        self.cpu_seconds = 0.0
        self.wall_seconds = 0.0
        self.emulator_seconds = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        emulated = self.emulator.seconds if self.emulator else 0.0
        try:
            yield
        finally:
            spent_emulating = (self.emulator.seconds if self.emulator else 0.0) - emulated
            self.emulator_seconds += spent_emulating
            self.cpu_seconds += time.process_time() - cpu - spent_emulating
            self.wall_seconds += time.perf_counter() - wall


def peak_rss_mb() -> float:
    """This process's peak resident set size, from /proc (``VmHWM``, reset by exec; unlike
    ``ru_maxrss``, which a child inherits from the parent it was forked from)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record_batch_results(transform: ModuleType, into: list[dict[str, Any]]) -> None:
    """Keep every batch's result (rows, files, bytes) by wrapping the transform's process_batch."""
    original: Callable[..., Any] = transform.process_batch

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        into.append(result.as_dict())
        return result

    transform.process_batch = recording  # type: ignore[attr-defined]
