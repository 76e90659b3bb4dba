"""Files of a partition through Spark's Hadoop file system, whatever the URI scheme.

Glue resolves ``s3://`` with its own S3 file system, local Spark resolves ``s3a://`` with
hadoop-aws and plain paths with the local file system; going through the session's Hadoop
configuration lets one code path list, move and delete files on all of them (boto3 would only
cover the first), and read Parquet footers, which keep what Spark's reader drops: whether a
column is ``required``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

#: Files Hive, Spark and Athena skip (``_SUCCESS``, ``.crc`` checksums, our ``_compaction.json``).
HIDDEN_PREFIXES = ("_", ".")


@dataclass(frozen=True)
class StoredFile:
    uri: str
    size: int


@dataclass(frozen=True)
class ParquetField:
    """A top-level column as the Parquet footer declares it."""

    name: str
    required: bool
    declaration: str  # e.g. "required int64 event_time (TIMESTAMP(MICROS,true))"


class HadoopStorage:
    """Thin typed wrapper over ``org.apache.hadoop.fs.FileSystem`` reached through py4j."""

    def __init__(self, spark: SparkSession) -> None:
        self._jvm: Any = spark.sparkContext._jvm
        self._conf: Any = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _fs(self, path: Any) -> Any:
        return path.getFileSystem(self._conf)

    def qualify(self, uri: str) -> str:
        """Absolute form with scheme (``/tmp/x`` → ``file:/tmp/x``) so two spellings compare equal."""
        path = self._path(uri)
        return str(self._fs(path).makeQualified(path).toString()).rstrip("/")

    def exists(self, uri: str) -> bool:
        path = self._path(uri)
        return bool(self._fs(path).exists(path))

    def list_parquet(self, directory_uri: str) -> list[StoredFile]:
        """Visible ``*.parquet`` files directly in a directory, sorted by URI (none if it is absent)."""
        path = self._path(directory_uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        files = [
            StoredFile(uri=str(status.getPath().toString()), size=int(status.getLen()))
            for status in fs.listStatus(path)
            if status.isFile()
            and status.getPath().getName().endswith(".parquet")
            and not status.getPath().getName().startswith(HIDDEN_PREFIXES)
        ]
        return sorted(files, key=lambda f: f.uri)

    def size(self, uri: str) -> int:
        path = self._path(uri)
        return int(self._fs(path).getFileStatus(path).getLen())

    def write_text(self, uri: str, text: str) -> None:
        """Create or overwrite a small UTF-8 object (one PUT on S3: readers see all of it or none)."""
        path = self._path(uri)
        stream = self._fs(path).create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def read_text(self, uri: str) -> str:
        path = self._path(uri)
        stream = self._fs(path).open(path)
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data).decode("utf-8")

    def rename(self, source_uri: str, target_uri: str) -> None:
        source = self._path(source_uri)
        if not self._fs(source).rename(source, self._path(target_uri)):
            raise OSError(f"could not move {source_uri} to {target_uri}")

    def delete(self, uri: str, recursive: bool = False) -> None:
        """Delete a file (or a tree with ``recursive``); deleting what is already gone is fine."""
        path = self._path(uri)
        self._fs(path).delete(path, recursive)

    def parquet_fields(self, uri: str) -> tuple[ParquetField, ...]:
        """Top-level columns declared in a Parquet file's footer (reads the footer only)."""
        parquet = self._jvm.org.apache.parquet.hadoop
        path = self._path(uri)
        reader = parquet.ParquetFileReader.open(parquet.util.HadoopInputFile.fromPath(path, self._conf))
        try:
            schema = reader.getFooter().getFileMetaData().getSchema()
        finally:
            reader.close()
        return tuple(
            ParquetField(
                name=str(field.getName()),
                required=str(field.getRepetition().name()) == "REQUIRED",
                declaration=str(field.toString()),
            )
            for field in schema.getFields()
        )
