"""Spark settings the silver jobs depend on, applied to whatever session they are given."""

from __future__ import annotations

from pyspark.sql import SparkSession

#: ``event_time`` is a UTC instant; day boundaries and printed times must not follow the host zone.
#: Spark writes timestamps as legacy INT96 by default; silver files use the Parquet logical type
#: TIMESTAMP(MICROS, isAdjustedToUTC=true), which Arrow reads back as ``timestamp[us, tz=UTC]``.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def configure(spark: SparkSession) -> SparkSession:
    """Apply ``SESSION_SETTINGS`` (runtime settings, so a shared session can be reused)."""
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    return spark


def job_session(app_name: str) -> SparkSession:
    """The session of a job run: Glue's own on AWS, a local one when run as a plain script."""
    return configure(SparkSession.builder.appName(app_name).getOrCreate())
