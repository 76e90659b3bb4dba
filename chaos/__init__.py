"""Fault injection for the pipeline: seeded chaos runs that prove nothing is lost or duplicated.

``python -m chaos --runs 10 --records 50000`` (``make chaos``) drives the real ingest and
transform handlers in-process under moto with injected AWS errors, lost responses, crashes (after
a batch's uploads before its commit, in the takeover of a dead batch), Lambda timeouts, duplicate
and out-of-order deliveries, expired batch leases, an object overwritten mid-flight, replays next
to live traffic and one overwritten in flight, drains the pipeline (retries, DLQ redrive) and
reconciles silver by record identity (bucket, key, version, line).
"""

from chaos.faults import FaultInjector, FaultPlan, SimulatedCrash
from chaos.run import RunReport, run_once

__all__ = ["FaultInjector", "FaultPlan", "RunReport", "SimulatedCrash", "run_once"]
