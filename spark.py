"""cwfilter on Apache Spark: metric filters and alarms over archives of logs too large for one machine.

Each task reads whole files with cwfilter's own readers (or takes events from a table), runs the
metric filters over them and emits partial aggregates (`engine.metrics.partial.RunAggregate`
rows); Spark merges them by series and period, exactly; the driver evaluates the alarms once over
the merged history. The result equals that of `cwfilter run -o json` over the same files, in any
order and any partitioning.

Needs pyspark 3.5 or newer (``pip install 'cwfilter[spark]'``; Glue and EMR bring their own).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyspark
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from .engine.metrics.partial import (
    ROW_FIELDS,
    RunAggregate,
    aggregate_events,
    aggregate_files,
    merge_rows,
    row_key,
)

__all__ = ["AGGREGATE_SCHEMA", "aggregates", "aggregates_from_events", "datapoints", "outcome", "run"]

#: The Spark schema of aggregate rows (the fields of `engine.metrics.partial.ROW_FIELDS`).
AGGREGATE_SCHEMA = T.StructType([
    T.StructField("format", T.IntegerType(), False),
    T.StructField("kind", T.StringType(), False),
    T.StructField("namespace", T.StringType()),
    T.StructField("metric", T.StringType()),
    T.StructField("dimensions", T.ArrayType(T.ArrayType(T.StringType()))),
    T.StructField("unit", T.StringType()),
    T.StructField("period", T.IntegerType()),
    T.StructField("start", T.LongType()),
    T.StructField("sample_count", T.LongType()),
    T.StructField("minimum", T.DoubleType()),
    T.StructField("maximum", T.DoubleType()),
    T.StructField("values", T.ArrayType(T.DoubleType())),
    T.StructField("counts", T.ArrayType(T.LongType())),
    T.StructField("sum", T.StringType()),
    T.StructField("filter", T.IntegerType()),
    T.StructField("name", T.StringType()),
    T.StructField("minutes", T.ArrayType(T.LongType())),
    T.StructField("matched", T.ArrayType(T.LongType())),
    T.StructField("counters", T.MapType(T.StringType(), T.LongType())),
    T.StructField("detail", T.StringType()),
])
assert tuple(f.name for f in AGGREGATE_SCHEMA.fields) == ROW_FIELDS

#: The schema of `datapoints`: one GetMetricStatistics datapoint per row, with its series.
DATAPOINT_SCHEMA = T.StructType([
    T.StructField("Namespace", T.StringType(), False),
    T.StructField("MetricName", T.StringType(), False),
    T.StructField("Dimensions", T.ArrayType(T.StructType([
        T.StructField("Name", T.StringType()), T.StructField("Value", T.StringType())]))),
    T.StructField("Timestamp", T.StringType(), False),
    T.StructField("Period", T.IntegerType(), False),
    T.StructField("SampleCount", T.DoubleType()),
    T.StructField("Average", T.DoubleType()),
    T.StructField("Sum", T.DoubleType()),
    T.StructField("Minimum", T.DoubleType()),
    T.StructField("Maximum", T.DoubleType()),
    T.StructField("Unit", T.StringType()),
    T.StructField("ExtendedStatistics", T.MapType(T.StringType(), T.DoubleType())),
])


def _empty() -> Any:
    from .engine.metrics.series import Aggregate

    return Aggregate()


def _config(config: Any) -> Any:
    """A `Config`, or the path of a config file (read on the driver)."""
    if hasattr(config, "metric_filters"):
        return config
    from .engine.config.sources import load_sources

    return load_sources([str(config)], {}).config


def _tuples(rows: Iterable[dict]) -> Iterator[tuple]:
    for row in rows:
        yield tuple(row[f] for f in ROW_FIELDS)


def _reduce(rdd: Any) -> Any:
    """Merge the rows of the same series and period (or counters) into one, on the executors."""
    return (rdd.map(lambda r: (row_key(r), r))
               .reduceByKey(merge_rows)
               .values())


def aggregates(spark: SparkSession, config: Any, paths: Sequence[str] | str, period: int = 60, *,
               fmt: str = "auto", log_group: str | None = None, account: str | None = None,
               region: str | None = None, default_value_mode: str = "minute",
               partitions: int | None = None) -> DataFrame:
    """The merged partial aggregates of log files, as a DataFrame of aggregate rows.

    Files are listed and read by Spark (``s3://``, ``hdfs://``, local paths, globs, comma-joined
    lists), each whole, and parsed by cwfilter's readers (every format `cwfilter run` reads; gzip
    is recognised by its content).

    Args:
        spark: the session.
        config: a config file path (read on the driver) or a loaded `Config`.
        paths: files or globs.
        period: the period of the metric cells, in seconds; `datapoints` reports any multiple.
        fmt, log_group, account, region, default_value_mode: as the `cwfilter run` options.
        partitions: the least number of tasks reading the files (Spark packs small files into few).
    """
    cfg = _config(config)
    spec = paths if isinstance(paths, str) else ",".join(paths)
    files = spark.sparkContext.binaryFiles(spec, minPartitions=partitions)
    if partitions and files.getNumPartitions() < partitions:
        files = files.repartition(partitions)  # small files are packed into few splits

    def part(items: Iterator[tuple[str, bytes]]) -> Iterator[dict]:
        agg = aggregate_files(cfg, ((_local_name(name), bytes(data)) for name, data in items), period=period,
                              fmt=fmt, log_group=log_group, account=account, region=region,
                              default_value_mode=default_value_mode)
        return agg.to_rows()

    rows = _reduce(files.mapPartitions(part))
    return spark.createDataFrame(rows.mapPartitions(_tuples), AGGREGATE_SCHEMA)


def _local_name(uri: str) -> str:
    """Spark names local files ``file:/path``; cwfilter names them by their path."""
    if uri.startswith("file://"):
        return uri[len("file://"):]
    if uri.startswith("file:"):
        return uri[len("file:"):]
    return uri


def aggregates_from_events(df: DataFrame, config: Any, *, message: str = "message", timestamp: str = "timestamp",
                           log_group: str | None = None, period: int = 60, account: str | None = None,
                           region: str | None = None, default_value_mode: str = "minute") -> DataFrame:
    """The merged partial aggregates of log events already in a table.

    For CloudWatch Logs exports, Firehose deliveries, Athena or Glue tables.

    Args:
        df: one event per row.
        config: a config file path or a loaded `Config`.
        message: the column of the message text.
        timestamp: the column of the event time: epoch milliseconds (integer) or a timestamp.
            Rows without one are refused and counted (``noTimestamp``).
        log_group: the column of the log group, if any (else the filters' only log group).
    """
    from pyspark.sql import functions as F

    cfg = _config(config)
    ts = df.schema[timestamp].dataType
    ts_col = (F.col(timestamp).cast("double") * 1000).cast("long") if isinstance(ts, (T.TimestampType, T.DateType)) \
        else F.col(timestamp).cast("long")
    group_col = F.col(log_group).cast("string") if log_group else F.lit(None).cast("string")
    events = df.select(F.col(message).cast("string").alias("m"), ts_col.alias("t"), group_col.alias("g"))

    def part(items: Iterator[Any]) -> Iterator[dict]:
        agg = aggregate_events(cfg, ((r[0], r[1], r[2]) for r in items), period=period, account=account,
                               region=region, default_value_mode=default_value_mode)
        return agg.to_rows()

    rows = _reduce(events.rdd.mapPartitions(part))
    return df.sparkSession.createDataFrame(rows.mapPartitions(_tuples), AGGREGATE_SCHEMA)


def datapoints(aggs: DataFrame, config: Any, *, period: int | None = None, statistics: Sequence[str] = (),
               account: str | None = None, region: str | None = None) -> DataFrame:
    """GetMetricStatistics datapoints of merged aggregates, computed on the executors.

    Default-value samples (DECISIONS M2) are settled first, from each filter's minutes.

    Args:
        aggs: aggregate rows (`aggregates`, `aggregates_from_events`, or saved ones read back).
        config: the config the aggregates were built with.
        period: the datapoints' period, a multiple of the aggregates' (default: theirs).
        statistics: extended statistics to report as well (``p99``, ``tm90`` ...).
    """
    from .engine.metrics.series import parse_statistic

    cfg = _config(config)
    stats = list(statistics)
    for name in stats:
        parse_statistic(name)
    # The small rows (counters, minutes) decide the periods and default samples.
    small = [r.asDict(recursive=True) for r in aggs.where("kind NOT IN ('metric', 'alarm')").collect()]
    head = RunAggregate.from_rows(small)
    cell_period = head.period
    out_period = period or cell_period
    if out_period % cell_period:
        raise ValueError(f"the period {out_period} s is not a multiple of the aggregates' {cell_period} s")
    from .engine.metrics.transform import build_filter

    filters = [build_filter(mf, account=account, region=region) for mf in cfg.metric_filters]
    settled = RunAggregate(period=cell_period)
    for _, key, ts, value in head.default_samples(filters):
        settled.cells.setdefault((key, ts - ts % (cell_period * 1000)), _empty()).add(value)
    default_rows = [r for r in settled.to_rows() if r["kind"] == "metric"]
    out_ms = out_period * 1000
    rdd = aggs.where("kind = 'metric'").rdd.map(lambda r: r.asDict(recursive=True))
    if default_rows:
        rdd = rdd.union(aggs.sparkSession.sparkContext.parallelize(default_rows))

    def rekey(row: dict) -> tuple:
        row = dict(row, start=row["start"] - row["start"] % out_ms, period=out_period)
        return (row_key(row), row)

    def to_datapoint(row: dict) -> tuple:
        agg = RunAggregate.from_rows([row])
        (key, start), cell = next(iter(agg.cells.items()))
        from .engine.metrics.pipeline import Datapoint

        doc = Datapoint(key, start, out_period, cell).to_json(stats)
        return (doc["Namespace"], doc["MetricName"], doc["Dimensions"], doc["Timestamp"], doc["Period"],
                *(None if doc[n] is None else float(doc[n])
                  for n in ("SampleCount", "Average", "Sum", "Minimum", "Maximum")),
                doc["Unit"], {k: v for k, v in (doc.get("ExtendedStatistics") or {}).items() if v is not None})

    merged = rdd.map(rekey).reduceByKey(merge_rows).values().map(to_datapoint)
    return aggs.sparkSession.createDataFrame(merged, DATAPOINT_SCHEMA)


def outcome(aggs: DataFrame | Iterable[Any], config: Any, *, statistics: Sequence[str] = (),
            period: int | None = None, until_ms: int | None = None, account: str | None = None,
            region: str | None = None) -> Any:
    """Datapoints, alarm transitions and summary (`RunOutcome`) of merged aggregates, on the driver."""
    cfg = _config(config)
    rows = aggs.toLocalIterator() if isinstance(aggs, DataFrame) else aggs
    return RunAggregate.from_rows(rows).finish(cfg, statistics=statistics, period=period, until_ms=until_ms,
                                               account=account, region=region)


def run(spark: SparkSession, config: Any, paths: Sequence[str] | str, *, period: int = 60,
        statistics: Sequence[str] = (), until_ms: int | None = None, **options: Any) -> dict:
    """The document `cwfilter run -o json` prints for the same files, computed on Spark.

    Args:
        spark: the session.
        config: a config file path or a loaded `Config`.
        paths: files or globs (see `aggregates`).
        period, statistics, until_ms: as `cwfilter run --period`, ``-s`` and ``--until``.
        options: `aggregates` options (fmt, log_group, account, region, default_value_mode).
    """
    from .engine.report.document import run_definitions, run_document

    cfg = _config(config)
    aggs = aggregates(spark, cfg, paths, period=period, **options)
    done = outcome(aggs, cfg, statistics=statistics, until_ms=until_ms, account=options.get("account"),
                   region=options.get("region"))
    return run_document(done.datapoints, done.changes, done.summary, list(statistics), run_definitions(cfg))


def spark_version() -> str:
    """The version of pyspark in use."""
    return pyspark.__version__


def cli_run(config: Any, inputs: Sequence[str], *, aggregates_out: str | None = None,
            from_aggregates: str | None = None, period: int = 60, statistics: Sequence[str] = (),
            until_ms: int | None = None, **options: Any) -> Any:
    """`cwfilter run --engine spark` and `--from-aggregates`: the `RunOutcome`, on the active session."""
    spark = SparkSession.builder.appName("cwfilter").getOrCreate()
    if from_aggregates:
        aggs = spark.read.parquet(*[p for p in from_aggregates.split(",") if p])
        row_period = RunAggregate.from_rows(
            r.asDict(recursive=True) for r in aggs.where("kind = 'run'").collect()).period
        return outcome(aggs, config, statistics=statistics, period=max(period, row_period), until_ms=until_ms,
                       account=options.get("account"), region=options.get("region"))
    aggs = aggregates(spark, config, list(inputs), period=period, **options)
    if aggregates_out:
        aggs = aggs.cache()
        aggs.write.mode("overwrite").parquet(aggregates_out)
    return outcome(aggs, config, statistics=statistics, until_ms=until_ms, account=options.get("account"),
                   region=options.get("region"))
