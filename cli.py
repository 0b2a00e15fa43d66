"""The cwfilter command line: reads events, calls the public API, renders results, picks exit codes.

Thin on purpose (no matching logic lives here): every command parses its arguments, calls one
function of `cwfilter`, renders what comes back and chooses an exit code. Results go to stdout,
messages to stderr. Exit codes follow grep: 0 something matched, 1 nothing matched, 2 bad input
(an invalid pattern, a file that cannot be read, a usage error).
"""

from __future__ import annotations

import enum
import gzip
import json
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, BinaryIO, Optional

import typer

from . import __version__

EXIT_MATCH = 0
EXIT_NO_MATCH = 1
EXIT_ERROR = 2

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
# DECISIONS M6: an event over this many bytes of UTF-8 is rejected (counted, reported with its
# position), never cut.
MAX_EVENT_BYTES = 1_048_576
# Positions of oversize events named on stderr; the count stays exact beyond it.
MAX_POSITIONS_SHOWN = 5

app = typer.Typer(
    name="cwfilter",
    help="Offline engine for CloudWatch Logs filter patterns, metric filters and alarms.",
    no_args_is_help=True,
    add_completion=False,
    # Locals of a crash can hold log lines; never print them.
    pretty_exceptions_show_locals=False,
)


class Output(str, enum.Enum):
    """Rendering of `cwfilter test` results."""

    table = "table"
    json = "json"
    text = "text"


class InputError(Exception):
    """An input that cannot be read or is malformed; the command exits with `EXIT_ERROR`."""


@dataclass(slots=True)
class InputStats:
    """What reading the input saw besides the events themselves."""

    events: int = 0
    skipped_empty: int = 0
    invalid_utf8: int = 0
    oversize: int = 0
    oversize_at: list[str] = field(default_factory=list)

    def reject_oversize(self, position: str) -> None:
        self.oversize += 1
        if len(self.oversize_at) < MAX_POSITIONS_SHOWN:
            self.oversize_at.append(position)


# --------------------------------------------------------------------------- messages


def _colour(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to a non-empty value."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def _error(message: str) -> None:
    prefix = "cwfilter: error:"
    if _colour(sys.stderr):
        prefix = typer.style(prefix, fg="red", bold=True)
    typer.echo(f"{prefix} {message}", err=True)


def _note(message: str) -> None:
    typer.echo(f"cwfilter: {message}", err=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --------------------------------------------------------------------------- input


def _open(name: str) -> BinaryIO:
    """Open a named file (`-` is stdin) for binary reading, decompressing gzip transparently.

    A ``.gz`` name, or gzip's magic bytes at the start of any input (stdin included), selects gzip.
    """
    try:
        raw: BinaryIO = sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    if name.endswith(".gz") or head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _display(name: str) -> str:
    return "standard input" if name == "-" else name


def _decode(data: bytes, stats: InputStats) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        stats.invalid_utf8 += 1
        return data.decode("utf-8", errors="replace")


def _line_events(names: list[str], stats: InputStats) -> Iterator[str]:
    """Yield one event per line of each input, in order (see `_numbered_line_events`)."""
    for _, message in _numbered_line_events(names, stats):
        yield message


READ_CHUNK = 1 << 19  # half the event limit: a block (a carried-over line part + a read) stays under it


def _numbered_line_events(
    names: list[str], stats: InputStats, block_filter: Any = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(event number, message)`` for one event per line of each input, in order.

    The line ending (``\\n`` or ``\\r\\n``) is removed, and so is a UTF-8 byte-order mark at
    the start of an input. Empty lines are skipped and counted: TestMetricFilter only accepts
    messages of at least one character. Lines over `MAX_EVENT_BYTES` are skipped and counted with
    their position. Invalid UTF-8 is decoded with U+FFFD replacement characters and counted.

    Inputs are read in blocks of about a megabyte. With `block_filter` (a compiled pattern's),
    a plain block of ASCII lines that cannot hold a match is counted and skipped whole, without
    splitting it into lines: the grep way of ruling lines out.
    """
    number = 0
    for name in names:
        stream = _open(name)
        line_no = 0  # lines of this input consumed so far (for positions)
        try:
            pending = b""
            discarding = False  # inside a line already known to be oversize
            first = True
            while True:
                data = stream.read(READ_CHUNK)
                if not data:
                    break
                if discarding:
                    cut = data.find(b"\n")
                    if cut < 0:
                        continue
                    data, discarding = data[cut + 1 :], False
                    line_no += 1
                data = pending + data if pending else data
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_EVENT_BYTES + 2:  # a line this long is rejected (M6)
                        stats.reject_oversize(f"{_display(name)} line {line_no + 1}")
                        pending, discarding = b"", True
                    else:
                        pending = data
                    continue
                block, pending = data[:cut], data[cut:]
                if first:
                    first = False
                    if block.startswith(UTF8_BOM):
                        block = block[len(UTF8_BOM):]
                raws = block.split(b"\n")
                raws.pop()  # the block ends with a line break
                if (
                    block_filter is not None
                    and len(block) <= MAX_EVENT_BYTES
                    and block.isascii()
                    and b"\r" not in block
                    and b"" not in raws
                ):
                    # Plain ASCII lines, none empty, none oversize: one line, one event.
                    lines = len(raws)
                    text = block.decode("ascii")
                    if not block_filter(text):
                        number += lines
                        stats.events += lines
                        line_no += lines
                        continue
                    for message in text.split("\n")[:-1]:
                        number += 1
                        stats.events += 1
                        yield number, message
                    line_no += lines
                    continue
                for raw in raws:
                    line_no += 1
                    message = _line_message(raw, name, line_no, stats)
                    if message is not None:
                        number += 1
                        yield number, message
            if pending and not discarding:
                if first and pending.startswith(UTF8_BOM):
                    pending = pending[len(UTF8_BOM):]
                message = _line_message(pending, name, line_no + 1, stats)
                if message is not None:
                    number += 1
                    yield number, message
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; a truncated member raises EOFError.
            raise InputError(f"cannot read {_display(name)}: {exc}") from None
        finally:
            if name != "-":
                stream.close()


def _line_message(raw: bytes, name: str, line_no: int, stats: InputStats) -> str | None:
    """One line's event, or None when it is empty or oversize (both counted)."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if not raw:
        stats.skipped_empty += 1
        return None
    if len(raw) > MAX_EVENT_BYTES:
        stats.reject_oversize(f"{_display(name)} line {line_no}")
        return None
    stats.events += 1
    return _decode(raw, stats)


def _json_events(name: str, stats: InputStats) -> Iterator[str]:
    """Yield the messages of a JSON array of strings (multi-line events), skipping empty ones."""
    stream = _open(name)
    try:
        data = stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {_display(name)}: {exc}") from None
    finally:
        if name != "-":
            stream.close()
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    # surrogateescape keeps invalid UTF-8 visible per message, so it can be counted per event.
    try:
        messages = json.loads(data.decode("utf-8", errors="surrogateescape"))
    except ValueError as exc:
        raise InputError(f"{_display(name)} is not valid JSON: {exc}") from None
    if not isinstance(messages, list):
        raise InputError(f"{_display(name)} must hold a JSON array of strings")
    for i, message in enumerate(messages):
        if not isinstance(message, str):
            raise InputError(f"{_display(name)}: element {i} is not a string")
    for i, message in enumerate(messages):
        if not message:
            stats.skipped_empty += 1
            continue
        if any("\udc80" <= c <= "\udcff" for c in message):
            stats.invalid_utf8 += 1
            message = message.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if len(message.encode("utf-8", "surrogatepass")) > MAX_EVENT_BYTES:
            stats.reject_oversize(f"{_display(name)} element {i}")
            continue
        stats.events += 1
        yield message


def _check_readable(names: list[str]) -> None:
    for name in names:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise InputError(f"no such file: {name}")
        if os.path.isdir(name):
            raise InputError(f"is a directory: {name}")
        if not os.access(name, os.R_OK):
            raise InputError(f"permission denied: {name}")


# --------------------------------------------------------------------------- output


def _render_table(matches: list[dict[str, Any]]) -> None:
    # rich costs tens of milliseconds to import: only the table needs it.
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)  # colour only on a terminal; rich honours NO_COLOR
    table = Table("#", "message", "extracted values", show_lines=True)
    for match in matches:
        extracted = "\n".join(f"{k} = {v}" for k, v in match["extractedValues"].items())
        # Text(), not str: log lines are full of [brackets] that rich would read as markup.
        table.add_row(str(match["eventNumber"]), Text(match["eventMessage"]), Text(extracted))
    console.print(table)


def _report_input(stats: InputStats) -> None:
    if stats.skipped_empty:
        _note(
            f"skipped {_plural(stats.skipped_empty, 'empty line')} "
            "(TestMetricFilter needs messages of at least 1 character)"
        )
    if stats.invalid_utf8:
        _note(
            f"{_plural(stats.invalid_utf8, 'event')} with invalid UTF-8, "
            "decoded with U+FFFD replacement characters"
        )
    if stats.oversize:
        more = ", ..." if stats.oversize > len(stats.oversize_at) else ""
        _note(
            f"rejected {_plural(stats.oversize, 'event')} over {MAX_EVENT_BYTES:,} bytes "
            f"({', '.join(stats.oversize_at)}{more})"
        )


# --------------------------------------------------------------------------- commands


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"cwfilter {__version__}")
        raise typer.Exit(EXIT_MATCH)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Offline engine for CloudWatch Logs filter patterns, metric filters and alarms."""


@app.command("test")
def test_command(
    pattern: Annotated[
        str,
        typer.Argument(metavar="PATTERN", help="The filter pattern. Put `--` before a pattern that starts with `-`."),
    ],
    files: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="FILE",
            help="Log files, one event per line; `-` or none reads stdin; .gz is read transparently.",
        ),
    ] = None,
    events_json: Annotated[
        Optional[str],
        typer.Option("--events-json", metavar="FILE", help="A JSON array of message strings instead of lines."),
    ] = None,
    output: Annotated[
        Optional[Output],
        typer.Option("--output", "-o", help="table, json or text (default: table on a terminal, text otherwise)."),
    ] = None,
) -> None:
    """Test a filter pattern against log events, like the TestMetricFilter API.

    Exit status: 0 when an event matched, 1 when none did, 2 for an invalid pattern or input.
    """
    from . import PatternError, compile_pattern, test_metric_filter

    if events_json is not None and files:
        _error("give FILE arguments or --events-json, not both")
        raise typer.Exit(EXIT_ERROR)
    if output is None:
        output = Output.table if sys.stdout.isatty() else Output.text
    # An unencodable character (a lone surrogate from --events-json) must not end the run.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")

    try:
        compiled = compile_pattern(pattern)
    except PatternError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None

    stats = InputStats()
    names = files or ["-"]
    matched = 0
    try:
        _check_readable([events_json] if events_json is not None else names)
        if events_json is not None:
            numbered = enumerate(_json_events(events_json, stats), start=1)
        else:
            numbered = _numbered_line_events(names, stats, compiled.block_filter)
        if output is Output.text:
            matches = compiled.matches
            write = sys.stdout.write
            for _, message in numbered:
                if matches(message):
                    matched += 1
                    write(message + "\n")
        else:
            # The TestMetricFilter response (the shape of `test_metric_filter`), built as the
            # events stream by, so that whole blocks without a match can be skipped.
            result = {"matches": []}
            extract = compiled.extract
            for number, message in numbered:
                values = extract(message)
                if values is not None:
                    result["matches"].append(
                        {"eventNumber": number, "eventMessage": message, "extractedValues": values}
                    )
            matched = len(result["matches"])
            if output is Output.json:
                # The TestMetricFilter response as is, indented as the AWS CLI prints it (DECISIONS M7).
                sys.stdout.write(json.dumps(result, indent=4, ensure_ascii=False) + "\n")
            elif matched:
                _render_table(result["matches"])
        sys.stdout.flush()
    except InputError as exc:
        _flush_quietly()
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except PatternError as exc:  # not expected after compile_pattern, but never a traceback
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except BrokenPipeError:
        # The reader went away (`cwfilter test ... | head -1`): stop quietly; what matched so far decides.
        _silence_stdout()
        raise typer.Exit(EXIT_MATCH if matched else EXIT_NO_MATCH) from None

    _report_input(stats)
    if output is Output.table:
        typer.echo(f"{matched} of {_plural(stats.events, 'event')} matched", err=True)
    raise typer.Exit(EXIT_MATCH if matched else EXIT_NO_MATCH)


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _flush_quietly() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


# --------------------------------------------------------------------------- check


class CheckOutput(str, enum.Enum):
    """Rendering of `cwfilter check` findings."""

    text = "text"
    json = "json"


@app.command("check")
def check_command(
    configs: Annotated[list[str], typer.Argument(metavar="CONFIG", help="Config files (YAML or JSON); `-` reads stdin.")],
    output: Annotated[CheckOutput, typer.Option("--output", "-o", help="text or json.")] = CheckOutput.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.")] = False,
) -> None:
    """Validate metric filters and alarms as PutMetricFilter / PutMetricAlarm would.

    Every problem is reported at once, each with its file, line and path
    (`metricFilters[3].filterPattern`). Exit status: 0 valid, 2 invalid.
    """
    from .engine.config import check_config

    issues = check_config(configs)
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity != "error"]
    if output is CheckOutput.json:
        doc = [
            {"path": i.path, "message": i.message, "severity": i.severity, "file": i.source, "line": i.line}
            for i in issues
        ]
        typer.echo(json.dumps(doc, indent=4, ensure_ascii=False))
    else:
        for issue in issues:
            typer.echo(str(issue))
        if issues:
            typer.echo(
                f"{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')}", err=True
            )
        else:
            typer.echo(f"{', '.join(configs)}: valid", err=True)
    failed = bool(errors) or (strict and bool(warnings))
    raise typer.Exit(EXIT_ERROR if failed else 0)


# --------------------------------------------------------------------------- run


class RunOutput(str, enum.Enum):
    """Rendering of `cwfilter run` results."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    emf = "emf"


def _parse_time(text: str, option: str) -> int:
    """ISO-8601 (`2024-01-01T00:00:00Z`) or epoch milliseconds -> epoch milliseconds."""
    import datetime as dt

    if text.lstrip("-").isdigit():
        return int(text)
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither ISO-8601 time nor epoch milliseconds", param_hint=option) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return int(value.timestamp() * 1000)


class _Renderer:
    """Writes datapoints as they close (jsonl, emf) or keeps them for the end (table, json)."""

    def __init__(self, output: RunOutput, statistics: list[str], on_transition: str | None = None) -> None:
        self.output = output
        self.statistics = statistics
        self.kept: list[Any] = []
        self.transitions: list[Any] = []
        self.on_transition = on_transition
        self.action_failures = 0

    def item(self, item: Any) -> None:
        """A datapoint or an alarm transition, as the engine produces them."""
        if self._is_change(item):
            self.transition(item)
        else:
            self.datapoint(item)

    @staticmethod
    def _is_change(item: Any) -> bool:
        return hasattr(item, "transition")

    def transition(self, change: Any) -> None:
        """Print an alarm transition as it happens (in event time) and run its actions."""
        self.transitions.append(change)
        t = change.transition
        if self.output is RunOutput.jsonl:
            sys.stdout.write(json.dumps(change.detail(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        elif self.output is RunOutput.table:
            from .engine.pipeline import iso

            line = f"{iso(t.timestamp)}  {t.alarm_name}  {t.old_state} -> {t.new_state}  {t.new_reason}"
            if _colour(sys.stdout):
                colour = {"ALARM": "red", "OK": "green"}.get(t.new_state, "yellow")
                line = typer.style(line, fg=colour)
            typer.echo(line)
        elif self.output is RunOutput.emf:
            from .engine.pipeline import iso

            _note(f"{iso(t.timestamp)} alarm {t.alarm_name}: {t.old_state} -> {t.new_state}")
        if self.on_transition and change.actions():
            self._run_action(change)

    def _run_action(self, change: Any) -> None:
        """Run the --on-transition command with the SNS notification message on its stdin."""
        import subprocess

        message = json.dumps(change.sns_message(), ensure_ascii=False)
        env = dict(os.environ, CWFILTER_ALARM_NAME=change.transition.alarm_name,
                   CWFILTER_ALARM_STATE=change.transition.new_state,
                   CWFILTER_ALARM_ACTIONS=",".join(change.actions()))
        try:
            done = subprocess.run(self.on_transition, shell=True, input=message.encode("utf-8"), env=env, check=False)
        except OSError as exc:
            self.action_failures += 1
            _error(f"--on-transition: {exc}")
            return
        if done.returncode != 0:
            self.action_failures += 1
            _error(f"--on-transition exited {done.returncode} for {change.transition.alarm_name}")

    def datapoint(self, dp: Any) -> None:
        if self.output is RunOutput.jsonl:
            sys.stdout.write(json.dumps(dp.to_json(self.statistics), ensure_ascii=False) + "\n")
            sys.stdout.flush()  # streaming users read each period as it closes
        elif self.output is RunOutput.emf:
            for doc in dp.to_emf():
                sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            self.kept.append(dp)

    def finish(self, summary: dict) -> None:
        if self.output is RunOutput.json:
            from .engine.alarms import history_item

            doc = {"metrics": _group_metrics(self.kept, self.statistics), "summary": summary}
            if self.transitions or summary.get("alarms"):
                doc["alarmHistory"] = [history_item(c.transition) for c in self.transitions]
            sys.stdout.write(json.dumps(doc, indent=4, ensure_ascii=False) + "\n")
        elif self.output is RunOutput.table:
            _render_run_table(self.kept, self.statistics)


def _group_metrics(datapoints: list[Any], statistics: list[str]) -> list[dict]:
    """GetMetricStatistics-shaped results, one entry per metric and dimension set."""
    groups: dict[Any, list[Any]] = {}
    for dp in datapoints:
        groups.setdefault(dp.key, []).append(dp)
    out = []
    for key in sorted(groups, key=lambda k: (k.namespace, k.name, k.dimensions, k.unit or "")):
        points = []
        for dp in sorted(groups[key], key=lambda d: d.timestamp_ms):
            item = dp.to_json(statistics)
            for drop in ("Namespace", "MetricName", "Dimensions"):
                item.pop(drop)
            points.append(item)
        out.append(
            {
                "Namespace": key.namespace,
                "MetricName": key.name,
                "Dimensions": key.dimensions_json(),
                "Label": key.name,
                "Datapoints": points,
            }
        )
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _render_run_table(datapoints: list[Any], statistics: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .engine.series import STANDARD_STATISTICS

    console = Console(highlight=False)
    if not datapoints:
        console.print("no datapoints")
        return
    for metric in _group_metrics(datapoints, statistics):
        dims = ", ".join(f"{d['Name']}={d['Value']}" for d in metric["Dimensions"])
        title = f"{metric['Namespace']} / {metric['MetricName']}" + (f" [{dims}]" if dims else "")
        table = Table(title=Text(title), title_justify="left")
        table.add_column("period start (UTC)")
        for name in STANDARD_STATISTICS:
            table.add_column(name, justify="right")
        for name in statistics:
            table.add_column(name, justify="right")
        for p in metric["Datapoints"]:
            ext = p.get("ExtendedStatistics", {})
            table.add_row(
                p["Timestamp"], *(_fmt(p[n]) for n in STANDARD_STATISTICS), *(_fmt(ext.get(n)) for n in statistics)
            )
        console.print(table)


def _render_summary(summary: dict) -> None:
    inputs = summary["inputs"]
    total = inputs["total"]
    lines = [
        f"read {total['read']:,} events from {_plural(len(inputs['sources']), 'input')}: "
        f"{total['delivered']:,} delivered, {total['rejected']:,} rejected"
        + (f", {total['skipped']:,} lines skipped" if total["skipped"] else "")
    ]
    for kind, count in sorted(total["problems"].items()):
        lines.append(f"  {kind}: {count:,}")
    for problem in inputs["problems"][:10]:
        lines.append(f"  {problem['source']}: {problem['position']}: {problem['kind']}: {problem['detail']}")
    if len(inputs["problems"]) > 10:
        lines.append(f"  ... and {len(inputs['problems']) - 10:,} more (see --output json)")
    for f in summary["filters"]:
        extra = [
            f"{f[k]:,} {label}"
            for k, label in (
                ("valueNotNumeric", "value not numeric"),
                ("dimensionMissing", "dimension missing"),
                ("late", "late"),
                ("defaultSamples", "default samples"),
            )
            if f[k]
        ]
        lines.append(
            f"{f['filterName']} ({f['logGroupName'] or 'any log group'}): read {f['read']:,} = "
            f"matched {f['matched']:,} + unmatched {f['unmatched']:,} + rejected {f['rejected']:,}; "
            f"{f['samples']:,} samples" + ("; " + ", ".join(extra) if extra else "")
        )
    for a in summary.get("alarms", []):
        lines.append(f"alarm {a['alarmName']}: {a['stateValue']} ({a['stateReason']})")
    for line in lines:
        typer.echo(line, err=True)


class _Progress:
    """A one-line event counter on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, count: int) -> None:
        if self.enabled and count % 50_000 == 0:
            sys.stderr.write(f"\rcwfilter: {count:,} events read")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


@app.command("run")
def run_command(
    config: Annotated[str, typer.Argument(metavar="CONFIG", help="Config file: metricFilters (and alarms), YAML or JSON.")],
    inputs: Annotated[
        Optional[list[str]],
        typer.Argument(metavar="INPUT", help="Log inputs; `FILE@LOG_GROUP` binds one to a log group; none reads stdin."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Input format: auto, lines, jsonl, cloudtrail, subscription, filter-log-events, vpcflow, cloudfront, lambda.")] = "auto",
    log_group: Annotated[Optional[str], typer.Option("--log-group", "-g", help="Log group of inputs that name none.")] = None,
    output: Annotated[Optional[RunOutput], typer.Option("--output", "-o", help="table, json, jsonl or emf (default: table on a terminal, json otherwise).")] = None,
    period: Annotated[int, typer.Option("--period", min=1, help="Output period in seconds.")] = 60,
    lateness: Annotated[int, typer.Option("--lateness", min=0, help="Seconds after a period's end during which late events still count.")] = 300,
    statistic: Annotated[Optional[list[str]], typer.Option("--statistic", "-s", help="Extended statistic to report as well (p99, tm90, IQM, PR(0:100) ...); repeatable.")] = None,
    timestamps: Annotated[str, typer.Option("--timestamps", help="event: the time in each event; now: the time of reading.")] = "event",
    start: Annotated[Optional[str], typer.Option("--start", help="Time of the first event that carries none (ISO-8601 or epoch ms).")] = None,
    step: Annotated[float, typer.Option("--step", help="Seconds between synthetic timestamps after --start.")] = 1.0,
    account: Annotated[Optional[str], typer.Option("--account", help="Value of the @aws.account system dimension.")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Value of the @aws.region system dimension.")] = None,
    default_value_mode: Annotated[str, typer.Option("--default-value-mode", help="minute: one defaultValue per quiet minute (M2); event: one per non-matching event.")] = "minute",
    follow: Annotated[bool, typer.Option("--follow", help="Keep reading a growing file or a pipe; emit each period as it closes.")] = False,
    until: Annotated[Optional[str], typer.Option("--until", help="Keep evaluating alarms up to this time (ISO-8601 or epoch ms); empty periods count as missing data.")] = None,
    fail_on_alarm: Annotated[Optional[str], typer.Option("--fail-on-alarm", metavar="[end|ever]", help="Exit 1 if an alarm is in ALARM at the end (--fail-on-alarm) or was at any time (--fail-on-alarm=ever).")] = None,
    on_transition: Annotated[Optional[str], typer.Option("--on-transition", metavar="CMD", help="Run CMD for each alarm transition that has actions, with the SNS message on its stdin.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Run metric filters over log events and report the metrics they publish.

    Exit status: 0 when the run completed, 2 for a bad config, option or unreadable input.
    Bad events (invalid UTF-8, oversize, malformed JSON) are counted in the summary, not fatal.
    """
    from .engine.config import ConfigError, load_config
    from .engine.inputs import FORMATS
    from .engine.pipeline import Engine
    from .engine.runner import RunOptions, RunResult, UnboundInputError, run
    from .engine.series import parse_statistic

    if output is None:
        output = RunOutput.table if sys.stdout.isatty() else RunOutput.json
    if fmt not in FORMATS:
        _error(f"unknown --format {fmt!r}; one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_ERROR)
    if timestamps not in ("event", "now") or default_value_mode not in ("minute", "event"):
        _error("--timestamps is event or now; --default-value-mode is minute or event")
        raise typer.Exit(EXIT_ERROR)
    statistics = statistic or []
    for name in statistics:
        try:
            parse_statistic(name)
        except ValueError as exc:
            _error(str(exc))
            raise typer.Exit(EXIT_ERROR) from None
    try:
        cfg = load_config([config], on_warning=lambda w: _note(str(w)))
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    needs = {d for mf in cfg.metric_filters for d in (mf.emit_system_field_dimensions or ())}
    if ("@aws.account" in needs and not account) or ("@aws.region" in needs and not region):
        _error("the config emits system field dimensions: give --account and --region")
        raise typer.Exit(EXIT_ERROR)

    if fail_on_alarm not in (None, "end", "ever"):
        _error("--fail-on-alarm takes end or ever")
        raise typer.Exit(EXIT_ERROR)
    engine = Engine(
        cfg, period=period, lateness=lateness, account=account, region=region,
        default_value_mode=default_value_mode,
        until_ms=_parse_time(until, "--until") if until else None,
    )
    options = RunOptions(
        fmt=fmt, timestamps=timestamps, step_ms=int(step * 1000), log_group=log_group,
        start_ms=_parse_time(start, "--start") if start else None,
    )
    renderer = _Renderer(output, statistics, on_transition)
    result = RunResult()
    progress = _Progress()
    specs = list(inputs or ["-"])
    if follow:
        specs = [_follow_stream(s, engine, renderer) for s in specs]
    try:
        for item in run(engine, specs, options, result, on_event=progress):
            renderer.item(item)
    except UnboundInputError as exc:
        progress.clear()
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(0) from None
    except KeyboardInterrupt:
        progress.clear()
        for item in engine.close():
            renderer.item(item)
        summary = _summary(engine, result)
        renderer.finish(summary)
        _flush_quietly()
        if not quiet:
            _render_summary(summary)
        raise typer.Exit(130) from None
    progress.clear()
    summary = _summary(engine, result)
    try:
        renderer.finish(summary)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    if not quiet:
        _render_summary(summary)
    unreadable = {"missing", "is-a-directory", "unreadable"}
    failed = any(k in unreadable for k in result.stats.problem_counts)
    if failed:
        raise typer.Exit(EXIT_ERROR)
    if fail_on_alarm and engine.alarms is not None:
        if fail_on_alarm == "ever":
            alarmed = sorted(engine.alarms.ever_alarm)
        else:
            alarmed = [a["alarmName"] for a in engine.alarms.summary() if a["stateValue"] == "ALARM"]
        if alarmed:
            _note(f"in ALARM{' at some time' if fail_on_alarm == 'ever' else ' at the end'}: {', '.join(alarmed)}")
            raise typer.Exit(EXIT_NO_MATCH)
    raise typer.Exit(0)


def _summary(engine: Any, result: Any) -> dict:
    summary = engine.summary()
    summary["inputs"] = result.stats.as_dict()
    return summary


def _follow_stream(spec: str, engine: Any, renderer: _Renderer) -> Any:
    """A `--follow` input: a stream that waits for more data instead of ending at end of file.

    While it waits, the wall clock advances the engine too (DECISIONS A1), so periods close on
    time even when no new events arrive.
    """
    from .engine.follow import FollowStream
    from .engine.inputs import parse_input_spec

    path, group = parse_input_spec(spec)

    def idle(now_ms: int) -> None:
        if engine.watermark is not None and now_ms > engine.watermark:
            for item in engine.advance(now_ms):
                renderer.item(item)

    return FollowStream(path, on_idle=idle, log_group=group)


def main() -> None:
    """Console-script entry point (`cwfilter`)."""
    # `--fail-on-alarm` alone means `--fail-on-alarm=end` (typer options take no optional value).
    sys.argv[1:] = ["--fail-on-alarm=end" if a == "--fail-on-alarm" else a for a in sys.argv[1:]]
    app()
