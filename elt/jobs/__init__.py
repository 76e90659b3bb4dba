"""Logic of the Glue jobs over silver partitions, importable and testable on local Spark.

The scripts in ``glue/jobs/`` only turn Glue job arguments into calls of these modules:

* ``arguments``  — ``--NAME value`` job arguments (Glue's resolver when present, argparse otherwise);
* ``locations``  — where a silver partition and its derived outputs live (any Hadoop URI scheme);
* ``storage``    — file listing, moves and Parquet footers through Spark's Hadoop file system;
* ``session``    — the Spark settings every job relies on (UTC, Parquet timestamp encoding);
* ``quality``    — the Great Expectations (GX Core 1.x) gate derived from the dataset contracts;
* ``compaction`` — rewriting a partition into few files with verified identical content.
"""
