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
    """Yield one event per line of each input, in order.

    The line ending (``\\n`` or ``\\r\\n``) is removed, and so is a UTF-8 byte-order mark at
    the start of an input. Empty lines are skipped and counted: TestMetricFilter only accepts
    messages of at least one character. Lines over `MAX_EVENT_BYTES` are skipped and counted with
    their position. Invalid UTF-8 is decoded with U+FFFD replacement characters and counted.
    """
    for name in names:
        stream = _open(name)
        try:
            for number, raw in enumerate(stream):
                line = raw[:-1] if raw.endswith(b"\n") else raw
                if line.endswith(b"\r"):
                    line = line[:-1]
                if number == 0 and line.startswith(UTF8_BOM):
                    line = line[len(UTF8_BOM):]
                if not line:
                    stats.skipped_empty += 1
                    continue
                if len(line) > MAX_EVENT_BYTES:
                    stats.reject_oversize(f"{_display(name)} line {number + 1}")
                    continue
                stats.events += 1
                yield _decode(line, stats)
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; a truncated member raises EOFError.
            raise InputError(f"cannot read {_display(name)}: {exc}") from None
        finally:
            if name != "-":
                stream.close()


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
        events = _json_events(events_json, stats) if events_json is not None else _line_events(names, stats)
        if output is Output.text:
            for message in events:
                if compiled.matches(message):
                    matched += 1
                    sys.stdout.write(message + "\n")
        else:
            result = test_metric_filter(pattern, events)
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


def main() -> None:
    """Console-script entry point (`cwfilter`)."""
    app()
