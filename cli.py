"""The cwfilter command line: declares the commands and their options, renders results, picks exit codes.

Thin on purpose: it reads no input and evaluates nothing itself. Every command parses its
arguments, calls one engine function (the readers of `engine.inputs`, a compiled pattern, the run
loop, the config checks ...), renders what comes back and chooses an exit code. Results go to stdout,
messages to stderr. Exit codes follow grep: 0 something matched, 1 nothing matched, 2 bad input
(an invalid pattern, a file that cannot be read, a usage error).
"""

from __future__ import annotations

import enum
import json
import os
import sys
from typing import Annotated, Any, NoReturn

import typer

from . import __version__

EXIT_MATCH = 0
EXIT_NO_MATCH = 1
EXIT_ERROR = 2


def _new_app() -> typer.Typer:
    return typer.Typer(
        name="cwfilter",
        help="Offline engine for CloudWatch Logs filter patterns, metric filters and alarms.",
        no_args_is_help=True,
        add_completion=False,
        # Locals of a crash can hold log lines; never print them.
        pretty_exceptions_show_locals=False,
    )


app = _new_app()


class Output(str, enum.Enum):
    """Rendering of `cwfilter test` results."""

    table = "table"
    json = "json"
    text = "text"


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


def _skip_digests(names: list[str]) -> list[str]:
    """The inputs without CloudTrail digest files (by path or keys), which are not log events."""
    from .engine.inputs.cloudtrail_validate import is_digest_file
    from .engine.report.text import digests_skipped

    kept = [name for name in names if name == "-" or not is_digest_file(name)]
    if len(kept) < len(names):
        _note(digests_skipped(len(names) - len(kept)))
    return kept


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


def _display(name: str) -> str:
    return "standard input" if name == "-" else name


def _report_input(stats: Any) -> None:
    from .engine.report.text import input_notes

    for line in input_notes(stats):
        _note(line)


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


# One alias per option or argument that several commands share.
PatternArg = Annotated[
    str, typer.Argument(metavar="PATTERN", help="The filter pattern. Put `--` before a pattern that starts with `-`.")
]
EventFilesArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILE",
        help="Log inputs in any format `run` reads (one event per line, CloudTrail files, subscription "
             "payloads, ...); `-` or none reads stdin; gzip is read transparently.",
    ),
]
EventsJsonOpt = Annotated[
    str | None,
    typer.Option("--events-json", metavar="FILE", help="A JSON array of message strings instead of FILE arguments."),
]
FormatOpt = Annotated[
    str,
    typer.Option("--format", "-f", help="Input format: auto, lines, jsonl, cloudtrail, subscription, "
                                         "filter-log-events, vpcflow, cloudfront, lambda, export (CreateExportTask "
                                         "objects), firehose (subscription payloads as Firehose delivers them)."),
]
SourcesArg = Annotated[
    list[str],
    typer.Argument(metavar="SOURCE", help="Sources: config files (YAML or JSON), CloudFormation or CDK templates, "
                                          "Terraform modules or `terraform show -json` output, CloudWatch agent "
                                          "configs; `-` reads stdin."),
]
ParameterOpt = Annotated[
    list[str] | None,
    typer.Option("--parameter", "-p", metavar="KEY=VALUE",
                 help="A template parameter, Terraform variable, pseudo parameter (AWS::Region) or agent "
                      "placeholder (instance_id); repeatable."),
]


def _event_messages(files: list[str] | None, events_json: str | None, fmt: str, stats: Any,
                    block_filter: Any = None) -> Any:
    """The numbered messages `test` and `explain` read (checked before any output)."""
    from .engine.inputs.messages import (
        FORMATS,
        MessageInputError,
        check_readable,
        read_json_messages,
        read_messages,
    )

    if events_json is not None and files:
        _error("give FILE arguments or --events-json, not both")
        raise typer.Exit(EXIT_ERROR)
    if fmt not in FORMATS:
        _error(f"unknown --format {fmt!r}; one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_ERROR)
    if events_json is not None and fmt != "auto":
        _error("--events-json holds messages: it takes no --format")
        raise typer.Exit(EXIT_ERROR)
    # No FILE argument reads standard input; FILE arguments that were all CloudTrail digests read nothing.
    names = [events_json] if events_json is not None else (files if files is not None else ["-"])
    try:
        check_readable(names)
    except MessageInputError as exc:
        _input_failed(exc)
    if events_json is not None:
        return read_json_messages(events_json, stats)
    return read_messages(names, stats, fmt, block_filter)


@app.command("test")
def test_command(
    pattern: PatternArg,
    files: EventFilesArg = None,
    events_json: EventsJsonOpt = None,
    fmt: FormatOpt = "auto",
    output: Annotated[
        Output | None,
        typer.Option("--output", "-o", help="table, json or text (default: table on a terminal, text otherwise)."),
    ] = None,
    line_buffered: Annotated[
        bool,
        typer.Option("--line-buffered", help="With -o text, write out each match at once (the default on a terminal)."),
    ] = False,
) -> None:
    """Test a filter pattern against log events, like the TestMetricFilter API.

    With -o text each matching event is printed as soon as it is read (flushed on a terminal or
    with --line-buffered), so `tail -f app.log | cwfilter test -o text ERROR` works. Exit status: 0 when an event matched, 1 when none did, 2
    for an invalid pattern or input.
    """
    from . import PatternError, compile_pattern
    from .engine.inputs.messages import MessageInputError, MessageStats

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

    stats = MessageStats()
    files = _skip_digests(files) if events_json is None and files else files
    matched = 0
    scan = None
    try:
        if output is Output.text and events_json is None:
            scan = _term_scan(compiled, line_buffered or sys.stdout.isatty())
        if scan is not None:
            # Terms over line input: whole blocks searched at once, matching lines written as read.
            from .engine.inputs.scan import scan_inputs

            _event_messages(files, None, fmt, stats)  # the arguments checked as for any pattern
            matched = scan_inputs(scan, files if files is not None else ["-"], stats, fmt)
        elif output is Output.text:
            numbered = _event_messages(files, events_json, fmt, stats, compiled.block_filter)
            matches = compiled.matches
            write = sys.stdout.write
            flush = sys.stdout.flush if line_buffered or sys.stdout.isatty() else None
            for _, message in numbered:
                if matches(message):
                    matched += 1
                    write(message + "\n")
                    if flush is not None:
                        flush()
        else:
            numbered = _event_messages(files, events_json, fmt, stats, compiled.block_filter)
            from .engine.testing.metric_filter import metric_filter_matches

            # The TestMetricFilter response (the shape of `test_metric_filter`), built as the events
            # stream by, so that whole blocks without a match can be skipped.
            result = {"matches": metric_filter_matches(compiled, numbered)}
            matched = len(result["matches"])
            if output is Output.json:
                # The TestMetricFilter response as is, indented as the AWS CLI prints it (DECISIONS M7).
                sys.stdout.write(json.dumps(result, indent=4, ensure_ascii=False) + "\n")
            elif matched:
                _render_table(result["matches"])
        sys.stdout.flush()
    except MessageInputError as exc:
        _input_failed(exc)
    except PatternError as exc:  # not expected after compile_pattern, but never a traceback
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except BrokenPipeError:
        # The reader went away (`cwfilter test ... | head -1`): stop quietly; what matched so far decides.
        _silence_stdout()
        if scan is not None:
            matched = scan.matched
        raise typer.Exit(EXIT_MATCH if matched else EXIT_NO_MATCH) from None
    except KeyboardInterrupt:
        # Ctrl-C on `tail -f ... | cwfilter test`: what was printed stays; account for what was read.
        _flush_quietly()
        _report_input(stats)
        raise typer.Exit(130) from None
    if not matched and events_json is None and pattern.lstrip().startswith(("{", "[")):
        _test_shape_hints(files or [])
    _matching_done(stats, matched, summary=output is Output.table)


def _term_scan(compiled: Any, line_buffered: bool) -> Any:
    """The block scan of a term pattern writing to stdout, or None when it cannot stand in for
    per-event matching here (not a term pattern it runs; stdout not UTF-8 bytes underneath)."""
    from .engine.inputs.scan import TermScan, bytes_beneath, line_terms

    terms = line_terms(compiled.tree)
    out = bytes_beneath(sys.stdout)
    if terms is None or out is None:
        return None
    return TermScan(*terms, out=out, line_buffered=line_buffered)


def _test_shape_hints(names: list[str]) -> None:
    """Say when an input that matched nothing looks like an export or like Firehose payloads."""
    from .engine.report.text import shape_hint_notes

    for line in shape_hint_notes(names):
        _note(line)


def _input_failed(exc: Exception) -> NoReturn:
    """An input could not be read: say so on stderr and exit 2, after what was already written."""
    _flush_quietly()
    _error(str(exc))
    raise typer.Exit(EXIT_ERROR) from None


def _matching_done(stats: Any, matched: int, summary: bool) -> NoReturn:
    """Report the input's accounting (and, with `summary`, how many events matched); exit like
    grep: 0 when an event matched, 1 when none did."""
    _report_input(stats)
    if summary:
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
    sarif = "sarif"
    github = "github"


_VarFileOption = Annotated[list[str] | None, typer.Option(
    "--var-file", metavar="FILE", help="Terraform variables from a .tfvars file, as terraform -var-file "
    "(read after terraform.tfvars and *.auto.tfvars); repeatable.")]
_ModulePathOption = Annotated[list[str] | None, typer.Option(
    "--module-path", metavar="NAME=DIR", help="Read Terraform module NAME (or the module whose source is NAME) "
    "from the local directory DIR, for registry and git sources; repeatable.")]


def _terraform_options(var_file: list[str] | None, module_path: list[str] | None) -> dict:
    """The keyword arguments of load_sources/check_sources for --var-file and --module-path."""
    from .engine.config.sources import parse_parameters

    paths = parse_parameters(module_path)  # NAME=DIR, as KEY=VALUE
    return {"var_files": list(var_file or []), "module_paths": paths}


@app.command("check")
def check_command(
    configs: SourcesArg,
    output: Annotated[CheckOutput, typer.Option("--output", "-o", help="text, json, sarif or github (GitHub Actions annotations).")] = CheckOutput.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.")] = False,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="CODE", help="Leave out these lint codes (CWF104, or CWF101,CWF104); repeatable."),
    ] = None,
    parameter: ParameterOpt = None,
    var_file: _VarFileOption = None,
    module_path: _ModulePathOption = None,
) -> None:
    """Validate metric filters and alarms as PutMetricFilter / PutMetricAlarm would, and their wiring.

    Every problem is reported at once, each with its file, line and path
    (`metricFilters[3].filterPattern`), plus lint warnings (CWF1xx), values that cannot be
    resolved without deploying and wiring checks (CWF2xx). Exit status: 0 valid, 2 invalid.
    """
    from .engine.config.sources import check_sources, parse_parameters

    try:
        # The service's checks, lint warnings for each valid filterPattern, and the wiring checks.
        issues = check_sources(configs, parse_parameters(parameter), lint_ignore=_split_codes(ignore),
                               **_terraform_options(var_file, module_path))
    except ValueError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    notes = [i for i in issues if i.severity not in ("error", "warning")]
    if output is CheckOutput.json:
        typer.echo(json.dumps([i.as_json() for i in issues], indent=4, ensure_ascii=False))
    elif output is CheckOutput.sarif:
        from .engine.config.sources.sarif import to_sarif

        typer.echo(json.dumps(to_sarif(issues, __version__), indent=2, ensure_ascii=False))
    elif output is CheckOutput.github:
        from .engine.config.sources.sarif import github_annotation

        for i in issues:
            text = f"{i.path}: {i.message}" if i.path else i.message
            typer.echo(github_annotation(i.severity, text, code=i.code, file=i.source, line=i.line, column=i.column))
    else:
        for issue in issues:
            typer.echo(str(issue))
        if issues:
            typer.echo(
                f"{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')}"
                + (f", {_plural(len(notes), 'note')}" if notes else ""), err=True
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
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


_WRITE_BLOCK = 64_000  # bytes of jsonl lines a write at most, when stdout is unbuffered


class _Renderer:
    """Writes datapoints as they close (jsonl, emf) or keeps them for the end (table, json)."""

    def __init__(self, output: RunOutput, statistics: list[str], on_transition: str | None = None) -> None:
        self.output = output
        self.statistics = statistics
        self.kept: list[Any] = []
        self.transitions: list[Any] = []
        self.on_transition = on_transition
        self.action_failures = 0
        self.collect = False  # keep every datapoint, for --plot / --report
        # A terminal with no --output: one row per metric and per alarm instead of every datapoint.
        self.compact = False
        self.live = False  # --follow: print transitions as they happen, also in the compact table
        self.definitions: dict = {}  # the run's filters and alarms, echoed in json output
        # Items taken: counted just before each is written or kept, so that a Ctrl-C while one
        # is written (it stays in the stream's buffer) does not write it again.
        self.done = 0
        self._line: Any = None
        self._pending: list[str] = []  # jsonl lines taken, not written yet
        self._pending_bytes = 0

    def _write_pending(self) -> None:
        """Write the jsonl lines kept so far in one write and flush, not one each (with stdout
        unbuffered, as under PYTHONUNBUFFERED, each write is a system call)."""
        pending = self._pending
        if pending:
            self._pending, self._pending_bytes = [], 0  # first: an interrupt must not write them twice
            sys.stdout.write("\n".join(pending) + "\n")
            sys.stdout.flush()

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
        line = json.dumps(change.detail(), ensure_ascii=False) + "\n" if self.output is RunOutput.jsonl else None
        self.done += 1
        self.transitions.append(change)
        t = change.transition
        if line is not None:
            self._write_pending()
            sys.stdout.write(line)
            sys.stdout.flush()
        elif self.output is RunOutput.table and (self.live or not self.compact):
            from .engine.metrics.pipeline import iso

            line = f"{iso(t.timestamp)}  {t.alarm_name}  {t.old_state} -> {t.new_state}  {t.new_reason}"
            if _colour(sys.stdout):
                colour = {"ALARM": "red", "OK": "green"}.get(t.new_state, "yellow")
                line = typer.style(line, fg=colour)
            typer.echo(line)
        elif self.output is RunOutput.emf:
            from .engine.metrics.pipeline import iso

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
            if self._line is None:
                from .engine.report.jsontext import datapoint_line

                self._line = datapoint_line  # imported once, not once per datapoint
            text = self._line(dp, self.statistics)
            size = (len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))) + 1
            if self._pending_bytes + size > _WRITE_BLOCK:
                self._write_pending()
            self.done += 1
            self._pending.append(text)
            self._pending_bytes += size
            if self.live:
                # Streaming users read each period as it closes. A batch run writes its lines in
                # blocks (a Ctrl-C meanwhile is held until they are written).
                self._write_pending()
            if self.collect:
                self.kept.append(dp)
        elif self.output is RunOutput.emf:
            text = "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in dp.to_emf())
            self.done += 1
            sys.stdout.write(text)
            sys.stdout.flush()
            if self.collect:
                self.kept.append(dp)
        else:
            self.done += 1
            self.kept.append(dp)

    def finish(self, summary: dict) -> None:
        self._write_pending()
        if self.output is RunOutput.json:
            from .engine.alarms.notifications import history_item_texts
            from .engine.report.document import run_document
            from .engine.report.jsontext import indented, metric_texts

            # The engine's document, with the metrics and the alarm history written one at a time
            # (below): peak memory stays near that of jsonl output however many series there are.
            doc = run_document([], self.transitions, summary, self.statistics, self.definitions, history=False)
            head, tail = indented(doc).split('"metrics": [],', 1)
            out = sys.stdout
            out.write(head + '"metrics": [')
            block: list[str] = []
            size = 0
            written = False
            for text in metric_texts(self.kept, self.statistics, margin="        "):
                if size + len(text) > _WRITE_BLOCK and block:  # many metrics a write, not one
                    out.write(("," if written else "") + "\n        " + ",\n        ".join(block))
                    written, block, size = True, [], 0
                block.append(text)
                size += len(text) + 10
            if block:
                out.write(("," if written else "") + "\n        " + ",\n        ".join(block))
                written = True
            out.write("\n    ]," if written else "],")
            if self.transitions:
                before, tail = tail.split('"alarmHistory": [],', 1)
                out.write(before + '"alarmHistory": [\n        ')
                items = history_item_texts([c.transition for c in self.transitions], "        ")
                out.write(",\n        ".join(items) + "\n    ],")
            out.write(tail + "\n")
        elif self.output is RunOutput.table and self.compact:
            _render_run_compact(self.kept, summary, self.transitions)
        elif self.output is RunOutput.table:
            _render_run_table(self.kept, self.statistics)


def _render_run_table(datapoints: list[Any], statistics: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .engine.metrics.series import STANDARD_STATISTICS
    from .engine.report.text import group_metrics, number

    console = Console(highlight=False)
    if not datapoints:
        console.print("no datapoints")
        return
    for metric in group_metrics(datapoints, statistics):
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
                p["Timestamp"], *(number(p[n]) for n in STANDARD_STATISTICS), *(number(ext.get(n)) for n in statistics)
            )
        console.print(table)


def _render_run_compact(datapoints: list[Any], summary: dict, changes: list[Any]) -> None:
    """One row per metric (totals and a sparkline) and one per alarm (transitions, final state)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .engine.metrics.pipeline import iso
    from .engine.report.chart import sparkline
    from .engine.report.text import metric_totals, short_number

    console = Console(highlight=False)
    rows = metric_totals(datapoints)
    spark = max(8, min(30, console.width - 58))  # the other columns need about 55
    if rows:
        table = Table(title="metrics", title_justify="left")
        for name, justify in (("metric", "left"), ("samples", "right"), ("sum", "right"),
                              ("min", "right"), ("max", "right"), ("trend", "left")):
            # Numbers and sparklines never wrap; the metric's name does when the terminal is narrow.
            table.add_column(name, justify=justify, no_wrap=name != "metric",  # type: ignore[arg-type]
                             min_width=8 if name == "metric" else None)
        for row in rows:
            dims = ", ".join(f"{k}={v}" for k, v in row["dimensions"].items())
            label = f"{row['namespace']} / {row['metric']}" + (f" [{dims}]" if dims else "")
            table.add_row(Text(label), short_number(row["samples"]),
                          short_number(row["sum"]), short_number(row["minimum"]), short_number(row["maximum"]),
                          Text(sparkline(row["trend"], spark), style="blue")
                          + Text(" sum" if row["trendOf"] == "Sum" else " avg", style="dim"))
        console.print(table)
    else:
        console.print("no datapoints")
    alarms = summary.get("alarms") or []
    if alarms:
        last = {c.transition.alarm_name: c.transition.timestamp for c in changes}
        table = Table(title="alarms", title_justify="left")
        for name, justify in (("alarm", "left"), ("transitions", "right"), ("last transition (UTC)", "left"),
                              ("final state", "left")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for a in alarms:
            state = Text(a["stateValue"], style={"ALARM": "red", "OK": "green"}.get(a["stateValue"], "yellow"))
            when = iso(last[a["alarmName"]]) if a["alarmName"] in last else "-"
            table.add_row(Text(a["alarmName"]), f"{a['transitions']:,}", when, state)
        console.print(table)
    console.print(Text("every datapoint and transition: -o table, -o json or -o jsonl", style="dim"))


def _render_summary(summary: dict) -> None:
    from .engine.report.text import summary_lines

    for line in summary_lines(summary):
        typer.echo(line, err=True)


class _Progress:
    """Progress of a run on stderr, only when stderr is a terminal.

    When every input is a file of known size, a progress bar (rich) with the percentage, the
    rate and the time left; otherwise a running count of the events read.
    """

    def __init__(self, specs: list[Any] | None = None) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False
        self.bar: Any = None
        self.sizes = self._sizes(specs) if self.enabled and specs else None
        self.done = 0  # bytes of the inputs finished
        self.size = 0  # of the input being read
        self.position: Any = None
        self.events = 0

    @staticmethod
    def _sizes(specs: list[Any]) -> dict[str, int] | None:
        """Each input's size in bytes; None unless every input is a regular file."""
        import stat

        from .engine.inputs.readers import parse_input_spec

        sizes = {}
        for spec in specs:
            if not isinstance(spec, str):
                return None
            path = parse_input_spec(spec)[0]
            try:
                info = os.stat(path)
            except OSError:
                continue  # reported as a problem when read
            if path == "-" or not stat.S_ISREG(info.st_mode):
                return None
            sizes[spec] = info.st_size
        return sizes or None

    def start_input(self, spec: Any, position: Any) -> None:
        """The run moves on to the next input (`engine.metrics.runner.run`'s on_input)."""
        if self.sizes is None:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self.bar = Progress(TextColumn("cwfilter: [progress.description]{task.description}"), BarColumn(),
                                TaskProgressColumn(), TransferSpeedColumn(), TextColumn("{task.fields[events]}"),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                                # Results on a pipe stay there; lines meant for this terminal go above the bar.
                                redirect_stdout=sys.stdout.isatty(), redirect_stderr=True)
            self.task = self.bar.add_task("reading", total=sum(self.sizes.values()), events="")
            self.bar.start()
        self.done += self.size
        self.size, self.position = self.sizes.get(spec, 0), position
        self._update()

    def _update(self) -> None:
        at = self.position() if self.position is not None else None
        completed = self.done + min(at or 0, self.size)
        self.bar.update(self.task, completed=completed, events=f"{self.events:,} events")

    def __call__(self, count: int) -> None:
        self.events = count
        if self.bar is not None:
            self._update()
        elif self.enabled and count % 50_000 == 0:
            sys.stderr.write(f"\rcwfilter: {count:,} events read")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


@app.command("run")
def run_command(
    config: Annotated[str, typer.Argument(metavar="CONFIG", help="Config file (metricFilters and alarms, YAML or JSON), CloudFormation or CDK template, Terraform module or plan.")],
    inputs: Annotated[
        list[str] | None,
        typer.Argument(metavar="INPUT", help="Log inputs; `FILE@LOG_GROUP` binds one to a log group; none reads stdin."),
    ] = None,
    fmt: FormatOpt = "auto",
    log_group: Annotated[str | None, typer.Option("--log-group", "-g", help="Log group of inputs that name none.")] = None,
    output: Annotated[RunOutput | None, typer.Option("--output", "-o", help="table (every datapoint), json, jsonl or emf. Default: json, and on a terminal a compact table with one row per metric and per alarm.")] = None,
    period: Annotated[int, typer.Option("--period", min=1, help="Output period in seconds.")] = 60,
    lateness: Annotated[int, typer.Option("--lateness", min=0, help="With --follow: seconds after a period's end before its datapoint is first emitted (a later sample re-emits it with a Revision). Batch runs count every event whatever its lateness.")] = 300,
    statistic: Annotated[list[str] | None, typer.Option("--statistic", "-s", help="Extended statistic to report as well (p99, tm90, IQM, PR(0:100) ...); repeatable.")] = None,
    timestamps: Annotated[str, typer.Option("--timestamps", help="event: the time in each event; now: the time of reading.")] = "event",
    start: Annotated[str | None, typer.Option("--start", help="Time of the first event that carries none (ISO-8601 or epoch ms).")] = None,
    step: Annotated[float, typer.Option("--step", help="Seconds between synthetic timestamps after --start.")] = 1.0,
    account: Annotated[str | None, typer.Option("--account", help="Value of the @aws.account system dimension.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Value of the @aws.region system dimension.")] = None,
    default_value_mode: Annotated[str, typer.Option("--default-value-mode", help="minute: one defaultValue per quiet minute (M2); event: one per non-matching event.")] = "minute",
    cardinality_guard: Annotated[str, typer.Option("--cardinality-guard", help="A filter that makes more than 1,000 distinct dimension name/value pairs in an hour, which the service may disable: warn (default), disable (drop its metrics from then on, as the service may) or off.")] = "warn",
    follow: Annotated[bool, typer.Option("--follow", help="Live: keep reading a growing file or a pipe; emit each period as the clock passes it, alarms evaluated on the clock.")] = False,
    multi_line_start: Annotated[str | None, typer.Option("--multi-line-start", metavar="REGEX", help="A line matching REGEX begins an event; the lines after it join that event (the agent's multi_line_start_pattern).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything read was not counted (values not numeric, missing dimensions, refused or rejected events).")] = False,
    until: Annotated[str | None, typer.Option("--until", help="Keep evaluating alarms up to this time (ISO-8601 or epoch ms); empty periods count as missing data.")] = None,
    fail_on_alarm: Annotated[str | None, typer.Option("--fail-on-alarm", metavar="[end|ever]", help="Exit 1 if an alarm is in ALARM at the end (--fail-on-alarm) or was at any time (--fail-on-alarm=ever).")] = None,
    on_transition: Annotated[str | None, typer.Option("--on-transition", metavar="CMD", help="Run CMD for each alarm transition that has actions, with the SNS message on its stdin.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    plot: Annotated[bool, typer.Option("--plot", help="Chart each alarm against its threshold, with sparklines per metric (on stderr next to json, jsonl or emf output).")] = False,
    report: Annotated[str | None, typer.Option("--report", metavar="FILE", help="Write a self-contained HTML report: charts, transitions, input accounting, filters.")] = None,
    parameter: ParameterOpt = None,
    agent_config: Annotated[str | None, typer.Option("--agent-config", metavar="FILE", help="Also read the local files a CloudWatch agent config collects, each into its log group, as the agent would.")] = None,
    agent_root: Annotated[str | None, typer.Option("--agent-root", metavar="DIR", help="Look for the agent's files under DIR instead of /.")] = None,
    validate: Annotated[bool, typer.Option("--validate", help="Validate the CloudTrail log files read against the digest files among the inputs (as `cwfilter validate-logs`); exit 1 when the archive is incomplete or modified.")] = False,
    var_file: _VarFileOption = None,
    module_path: _ModulePathOption = None,
    engine_name: Annotated[str, typer.Option("--engine", help="local (default), or spark: run on the active Spark session (spark-submit, Glue), pip install 'cwfilter[spark]'.")] = "local",
    aggregates_out: Annotated[str | None, typer.Option("--aggregates-out", metavar="PATH", help="With --engine spark: also write the run's partial aggregates as Parquet to PATH (for --from-aggregates).")] = None,
    from_aggregates: Annotated[str | None, typer.Option("--from-aggregates", metavar="PATH", help="Evaluate datapoints and alarms from aggregates saved with --aggregates-out (Parquet; several runs' merge), without reading logs.")] = None,
) -> None:
    """Run metric filters over log events and report the metrics they publish.

    Batch (files, or stdin without --follow): every event counts in its period whatever the
    order of events or files, and alarms are evaluated afterwards over the whole timeline. Live
    (--follow): periods are emitted as the clock passes them and re-emitted with a Revision when
    late events change them; alarms are evaluated every minute on the data present.

    Exit status: 0 when the run completed, 1 with --strict when something read was not counted
    (or with --fail-on-alarm, or with --validate when the CloudTrail
    archive read is incomplete or modified), 2 for a bad config, option or unreadable input. Bad events (invalid
    UTF-8, oversize, malformed JSON) are counted in the summary, not fatal.
    """
    from .engine.errors import ConfigError
    from .engine.inputs.readers import FORMATS
    from .engine.metrics.pipeline import Engine
    from .engine.metrics.runner import RunOptions, RunResult, UnboundInputError, long_lived_heap, run
    from .engine.metrics.series import parse_statistic

    compact = output is None and sys.stdout.isatty()
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
    from .engine.config.sources import load_sources, parse_parameters

    try:
        params = parse_parameters(parameter)
        loaded = load_sources([config], params, on_warning=lambda w: _note(str(w)),
                              **_terraform_options(var_file, module_path))
        cfg = loaded.config
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    needs = {d for mf in cfg.metric_filters for d in (mf.emit_system_field_dimensions or ())}
    if ("@aws.account" in needs and not account) or ("@aws.region" in needs and not region):
        _error("the config emits system field dimensions: give --account and --region")
        raise typer.Exit(EXIT_ERROR)

    if fail_on_alarm not in (None, "end", "ever"):
        _error("--fail-on-alarm takes end or ever")
        raise typer.Exit(EXIT_ERROR)
    if cardinality_guard not in ("warn", "disable", "off"):
        _error("--cardinality-guard takes warn, disable or off")
        raise typer.Exit(EXIT_ERROR)
    if multi_line_start is not None:
        import re2

        try:
            re2.compile(multi_line_start)
        except re2.error as exc:
            _error(f"--multi-line-start: invalid regular expression: {exc}")
            raise typer.Exit(EXIT_ERROR) from None
    from .engine.config.sources.wiring import run_wiring

    for finding in run_wiring(cfg, loaded.origins, config):
        _note(f"warning: {finding}")
    if engine_name != "local" or aggregates_out or from_aggregates:
        refused = _distributed_refusals(engine_name, aggregates_out, from_aggregates, inputs, follow, timestamps,
                                        start, bool(plot or report or on_transition or validate or agent_config))
        if refused:
            _error(refused)
            raise typer.Exit(EXIT_ERROR)
        try:
            from . import spark as cwspark
        except ImportError as exc:
            _error(f"--engine spark and --from-aggregates need pyspark: pip install 'cwfilter[spark]' ({exc})")
            raise typer.Exit(EXIT_ERROR) from None
        done = cwspark.cli_run(
            cfg, inputs or [], aggregates_out=aggregates_out, from_aggregates=from_aggregates, period=period,
            statistics=statistics, fmt=fmt, log_group=log_group, account=account, region=region,
            default_value_mode=default_value_mode, until_ms=_parse_time(until, "--until") if until else None)
        _render_items(output, statistics, done.items(), done.summary, cfg, quiet)
        _warn_losses(done.summary, "refused")  # unstamped events were refused, not stamped: a loss
        alarms = done.alarms.summary() if done.alarms is not None else []
        if (strict and done.summary.get("losses")) or (
                fail_on_alarm == "ever" and done.alarms is not None and done.alarms.ever_alarm) or (
                fail_on_alarm == "end" and any(a["stateValue"] == "ALARM" for a in alarms)):
            raise typer.Exit(EXIT_NO_MATCH)
        raise typer.Exit(0)
    # Value maps only where a statistic needs the values; compact aggregates otherwise.
    keep_values = bool(statistics) or output is RunOutput.emf or plot or report is not None or any(
        a.get("ExtendedStatistic") for a in cfg.metric_alarms)
    engine = Engine(
        cfg, period=period, lateness=lateness, account=account, region=region,
        default_value_mode=default_value_mode,
        until_ms=_parse_time(until, "--until") if until else None,
        cardinality_guard=cardinality_guard,
        live=follow, keep_values=keep_values,
    )
    options = RunOptions(
        fmt=fmt, timestamps=timestamps, step_ms=int(step * 1000), log_group=log_group,
        start_ms=_parse_time(start, "--start") if start else None, validate=validate,
        multi_line_start=multi_line_start, live=follow,
    )
    if validate and follow:
        _error("--validate checks whole files: not with --follow")
        raise typer.Exit(EXIT_ERROR)
    renderer = _Renderer(output, statistics, on_transition)
    renderer.collect = plot or report is not None
    renderer.compact, renderer.live = compact, follow
    from .engine.report.document import run_definitions

    renderer.definitions = run_definitions(cfg)
    result = RunResult()
    agent_specs = _agent_inputs(agent_config, params, agent_root, fmt, follow, options) if agent_config else []
    specs = list(inputs or ([] if agent_specs else ["-"]))
    if specs == ["-"] and not follow and sys.stdin.isatty():
        _note("reading log events from standard input: type or paste them, end with Ctrl-D "
              "(Ctrl-C stops the run); or give log files: cwfilter run CONFIG FILE...")
    if follow:
        specs = [_follow_stream(s, engine, renderer) for s in specs]
    specs += agent_specs
    progress = _Progress(specs)
    # A batch run's results all come at its end; a Ctrl-C while they are written is kept until
    # they are (a second one stops at once): a write cut by a signal could lose or repeat bytes.
    held = _HeldInterrupt()
    try:
        for item in run(engine, specs, options, result, on_event=progress,
                        on_input=progress.start_input if progress.sizes else None):
            if not follow:
                held.hold()
            renderer.item(item)
    except UnboundInputError as exc:
        progress.clear()
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except BrokenPipeError:
        progress.clear()
        _silence_stdout()
        raise typer.Exit(0) from None
    except KeyboardInterrupt:
        progress.clear()
        # Batch: everything comes from `close`, which returns the same items when the run was
        # interrupted while writing them: the rest is written, nothing twice.
        rest = engine.close()
        for item in rest if follow else rest[renderer.done:]:
            renderer.item(item)
        summary = _summary(engine, result)
        renderer.finish(summary)
        _flush_quietly()
        if not quiet:
            _render_summary(summary)
        _warn_losses(summary, timestamps)
        raise typer.Exit(130) from None
    progress.clear()
    summary = _summary(engine, result)
    if engine.guard is not None:
        for trip in engine.guard.trips:
            _note(trip.message(cardinality_guard))
    try:
        with long_lived_heap():  # the results are written from objects that live to the end
            renderer.finish(summary)
            if plot or report is not None:
                _run_pictures(renderer, summary, cfg, config, plot, report)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    if not quiet:
        _render_summary(summary)
        _shape_hints(specs, summary, {mf.filter_name: mf.filter_pattern for mf in cfg.metric_filters})
    _warn_losses(summary, timestamps)
    if held.release():
        raise typer.Exit(130)
    unreadable = {"missing", "is-a-directory", "unreadable"}
    failed = any(k in unreadable for k in result.stats.problem_counts)
    if failed:
        raise typer.Exit(EXIT_ERROR)
    if (result.validation is not None and not result.validation.ok) or (strict and summary["losses"]):
        raise typer.Exit(EXIT_NO_MATCH)
    if fail_on_alarm and engine.alarms is not None:
        if fail_on_alarm == "ever":
            alarmed = sorted(engine.alarms.ever_alarm)
        else:
            alarmed = [a["alarmName"] for a in engine.alarms.summary() if a["stateValue"] == "ALARM"]
        if alarmed:
            _note(f"in ALARM{' at some time' if fail_on_alarm == 'ever' else ' at the end'}: {', '.join(alarmed)}")
            raise typer.Exit(EXIT_NO_MATCH)
    raise typer.Exit(0)


class _HeldInterrupt:
    """Ctrl-C noted instead of raised, from `hold` to `release`; a second one raises at once."""

    def __init__(self) -> None:
        self.noted = False
        self._previous: Any = None

    def hold(self) -> None:
        import signal
        import threading

        if self._previous is None and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: Any) -> None:
        import signal

        self.noted = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def release(self) -> bool:
        """Restore the previous handler; whether a Ctrl-C came while held."""
        if self._previous is not None:
            import signal

            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return self.noted


def _distributed_refusals(engine: str, aggregates_out: Any, from_aggregates: Any, inputs: Any, follow: bool,
                          timestamps: str, start: Any, local_only: bool) -> str | None:
    """Why the options of a Spark run (or a run from saved aggregates) do not go together, if they do not."""
    if engine not in ("local", "spark"):
        return f"--engine is local or spark, not {engine!r}"
    if from_aggregates and (engine == "spark" or inputs or aggregates_out):
        return "--from-aggregates reads saved aggregates instead of logs: give no INPUT, --engine or --aggregates-out"
    if aggregates_out and engine != "spark":
        return "--aggregates-out writes the aggregates of a Spark run: add --engine spark"
    if engine == "spark" and not inputs:
        return "--engine spark reads files (paths, globs, s3:// URIs): give INPUT paths; standard input is not read"
    if follow:
        return "--follow runs on the wall clock of one machine: not with --engine spark or --from-aggregates"
    if timestamps != "event" or start is not None:
        return ("--timestamps now and --start place events by the time and order of reading, which no distributed "
                "run can reproduce: events without a timestamp are refused and counted instead")
    if local_only:
        return "--plot, --report, --on-transition, --validate and --agent-config work in local runs only"
    return None


def _render_items(output: RunOutput, statistics: list[str], items: list, summary: dict, cfg: Any, quiet: bool) -> None:
    """Print a finished run's datapoints, transitions and summary as a local run prints them."""
    from .engine.report.document import run_definitions

    renderer = _Renderer(output, statistics)
    renderer.definitions = run_definitions(cfg)
    for item in items:
        renderer.item(item)
    renderer.finish(summary)
    sys.stdout.flush()
    if not quiet:
        _render_summary(summary)


def _shape_hints(specs: list, summary: dict, patterns: dict[str, str]) -> None:
    """Say so when a JSON or space-delimited pattern matched nothing and the input's shape is why."""
    if not any(patterns.get(f["filterName"], "").lstrip().startswith(("{", "[")) and not f["matched"]
               for f in summary["filters"]):
        return
    from .engine.inputs.payloads import HINT_TEXT, input_head, shape_hint

    formats = {s["source"]: s["format"] for s in summary["inputs"]["sources"]}
    for spec in [s for s in specs if isinstance(s, str)][:20]:
        head = input_head(spec)
        if head is None:
            continue
        path, data = head
        hint = shape_hint(data, formats.get(path))
        if hint is not None:
            _note(f"{path}: no event matched, and {HINT_TEXT[hint]}: JSON and space-delimited patterns "
                  f"cannot match it read as {formats.get(path) or 'lines'}; read it with -f {hint}")


def _summary(engine: Any, result: Any) -> dict:
    from .engine.metrics.runner import run_summary

    summary = run_summary(engine, result)
    summary["inputs"]["cloudtrail_digest_files"] = sum(
        s["format"] == "cloudtrail-digest" for s in summary["inputs"]["sources"]
    )
    if getattr(result, "validation", None) is not None:
        summary["archive"] = result.validation.run_summary()
    return summary


def _warn_losses(summary: dict, timestamps: str) -> None:
    """On stderr, even with --quiet: what was not counted (count, reason, fix), and unstamped inputs."""
    for loss in summary["losses"]:
        _note(f"warning: {loss['count']:,} not counted: {loss['reason']}; fix: {loss['fix']}")
    if timestamps == "event":
        unstamped = [s["source"] for s in summary["inputs"]["sources"] if s.get("timestamp_origins", {}).get("read")]
        if unstamped:
            _note(f"warning: {', '.join(unstamped[:3])}{' ...' if len(unstamped) > 3 else ''}: events without a "
                  "timestamp were stamped with the time of reading; give --start TIME (and --step SECONDS) "
                  "to place them in time")


def _follow_stream(spec: str, engine: Any, renderer: _Renderer) -> Any:
    """A `--follow` input: a stream that waits for more data instead of ending at end of file.

    While it waits, the wall clock advances the engine (DECISIONS A1), so periods are emitted and
    alarms evaluated on time even when no new events arrive.
    """
    from .engine.inputs.follow import FollowStream
    from .engine.inputs.readers import parse_input_spec

    path, group = parse_input_spec(spec)

    def idle(now_ms: int) -> None:
        for item in engine.tick(now_ms):
            renderer.item(item)

    return FollowStream(path, on_idle=idle, log_group=group)


# --------------------------------------------------------------------------- explain, lint, plot


class ExplainOutput(str, enum.Enum):
    """Rendering of `cwfilter explain` and `cwfilter lint` results."""

    text = "text"
    json = "json"


class LintOutput(str, enum.Enum):
    """Rendering of `cwfilter lint` results."""

    text = "text"
    json = "json"
    github = "github"


@app.command("explain")
def explain_command(
    pattern: PatternArg,
    files: EventFilesArg = None,
    events_json: EventsJsonOpt = None,
    fmt: FormatOpt = "auto",
    output: Annotated[ExplainOutput, typer.Option("--output", "-o", help="text or json.")] = ExplainOutput.text,
) -> None:
    """Show why each event matches a filter pattern or not.

    For each event: the pattern's clauses marked matched (✓), not matched (✗) or not evaluated
    (·), the value each selector or field resolved to, the first reason the event fails, and hints
    for common mistakes. Exit status: 0 when an event matched, 1 when none did, 2 for an invalid
    pattern or input.
    """
    from . import PatternError
    from .engine.authoring.explain import explain_many, pattern_kind
    from .engine.inputs.messages import MessageInputError, MessageStats

    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        kind = pattern_kind(pattern)  # the pattern is checked before any input is read
    except PatternError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    stats = MessageStats()
    files = _skip_digests(files) if events_json is None and files else files
    width = _terminal_columns()
    matched = 0
    docs: list[dict] = []
    try:
        numbered = _event_messages(files, events_json, fmt, stats)
        messages = (message for _, message in numbered)  # numbered 1, 2, ...: no event is skipped
        for number, result in enumerate(explain_many(pattern, messages), start=1):
            matched += result.matched
            if output is ExplainOutput.json:
                docs.append(result.to_json(number))
            else:
                if number > 1:
                    sys.stdout.write("\n")
                sys.stdout.write(result.render(number, width) + "\n")
        if output is ExplainOutput.json:
            doc = {"pattern": pattern, "kind": kind, "events": docs}
            sys.stdout.write(json.dumps(doc, indent=4, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except MessageInputError as exc:
        _input_failed(exc)
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(EXIT_MATCH if matched else EXIT_NO_MATCH) from None
    _matching_done(stats, matched, summary=output is ExplainOutput.text)


def _terminal_columns() -> int:
    """The terminal width (COLUMNS when set), 100 when unknown."""
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


def _split_codes(values: list[str] | None) -> list[str]:
    """`--ignore CWF101,CWF104 --ignore CWF105` -> the codes, upper-cased."""
    return [c.strip().upper() for v in values or [] for c in v.split(",") if c.strip()]


@app.command("lint")
def lint_command(
    pattern: Annotated[
        str,
        typer.Argument(metavar="PATTERN", help="The filter pattern. Put `--` before a pattern that starts with `-`."),
    ],
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="CODE", help="Leave out these codes (CWF104, or CWF101,CWF104); repeatable."),
    ] = None,
    output: Annotated[LintOutput, typer.Option("--output", "-o", help="text, json or github (GitHub Actions annotations).")] = LintOutput.text,
) -> None:
    """Warn about a valid pattern that is probably wrong, with stable codes (CWF101 ...).

    Exit status: 0 no warning, 1 warnings, 2 an invalid pattern or an unknown code.
    """
    from . import PatternError
    from .engine.authoring.lint import lint_pattern

    try:
        findings = lint_pattern(pattern, _split_codes(ignore))
    except PatternError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    if output is LintOutput.json:
        typer.echo(json.dumps({"pattern": pattern, "findings": [f.to_json() for f in findings]},
                              indent=4, ensure_ascii=False))
    elif output is LintOutput.github:
        from .engine.config.sources.sarif import github_annotation

        for f in findings:
            typer.echo(github_annotation(f.severity, f"{f.message} (column {f.column} of the pattern)", code=f.code))
    else:
        typer.echo("\n".join(str(f) for f in findings) if findings else "", nl=bool(findings))
        typer.echo(_plural(len(findings), "warning") if findings else "no warnings", err=True)
    raise typer.Exit(EXIT_NO_MATCH if findings else EXIT_MATCH)


_CHART_STYLES = {
    "title": "bold", "axis": "dim", "bar": "blue", "bar.alarm": "bold red", "shade": "red",
    "threshold": "red", "state.ALARM": "red", "state.OK": "green", "state.INSUFFICIENT_DATA": "yellow",
    "mark": "bold", "dim": "dim",
}


def _print_pictures(picture: Any, stream: Any) -> None:
    """A chart per alarm, then a summary table with a sparkline per metric and alarm."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .engine.report.chart import default_statistic, metric_grid, sparkline, terminal_chart
    from .engine.report.text import number

    console = Console(file=stream, highlight=False)
    width = max(40, min(console.width, 160))
    for alarm in picture.alarms:
        for line in terminal_chart(alarm, picture.start_ms, picture.end_ms, width=width):
            text = Text()
            for chunk, style in line:
                text.append(chunk, style=_CHART_STYLES.get(style or ""))
            text.rstrip()
            console.print(text, crop=False, soft_wrap=True)
        console.print()
    if not picture.metrics and not picture.alarms:
        console.print("nothing to plot: no datapoints and no alarms")
        return
    table = Table(title="summary", title_justify="left")
    table.add_column("series")
    table.add_column("statistic")
    table.add_column("state")
    table.add_column("min", justify="right")
    table.add_column("max", justify="right")
    table.add_column("trend", no_wrap=True)
    watched = {a.metric: a.statistic for a in picture.alarms if a.kind == "metric"}
    for metric in picture.metrics:
        statistic = watched.get(metric.label) or default_statistic(metric)
        if statistic not in ("SampleCount", "Sum", "Minimum", "Maximum", "Average"):
            statistic = default_statistic(metric)
        values = metric_grid(metric, statistic, picture.start_ms, picture.end_ms)
        present = [v for v in values if v is not None]
        table.add_row(Text(metric.label), statistic, "", number(min(present) if present else None),
                      number(max(present) if present else None), Text(sparkline(values, 40), style="blue"))
    for alarm in picture.alarms:
        values = [v for _, v in alarm.points]
        present = [v for v in values if v is not None]
        state = Text(alarm.state, style={"ALARM": "red", "OK": "green"}.get(alarm.state, "yellow"))
        table.add_row(Text(f"alarm {alarm.name}"), alarm.statistic or "-", state,
                      number(min(present) if present else None), number(max(present) if present else None),
                      Text(sparkline(values, 40), style="blue"))
    console.print(table)


def _write_report(picture: Any, path: str) -> None:
    from .engine.report.html_report import render_html

    with open(path, "w", encoding="utf-8") as f:
        f.write(render_html(picture, version=__version__))


@app.command("plot")
def plot_command(
    results: Annotated[str, typer.Argument(metavar="RESULTS", help="The output of `cwfilter run --output json`; `-` reads stdin.")],
    config: Annotated[
        list[str] | None,
        typer.Option("--config", "-c", metavar="CONFIG", help="The run's config, when RESULTS holds no filter or alarm definitions."),
    ] = None,
    report: Annotated[str | None, typer.Option("--report", metavar="FILE", help="Also write a self-contained HTML report.")] = None,
) -> None:
    """Chart each alarm of a run's results against its threshold, with sparklines per metric.

    Exit status: 0 done, 2 unreadable results or config.
    """
    from .engine.errors import ConfigError
    from .engine.report.picture import build_picture

    try:
        text = sys.stdin.read() if results == "-" else open(results, encoding="utf-8").read()  # noqa: SIM115
        doc = json.loads(text)
    except OSError as exc:
        _error(f"cannot read {results}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:
        _error(f"{_display(results)} is not JSON: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    kwargs: dict[str, Any] = {}
    if config:
        from .engine.config.sources import load_sources

        try:
            cfg = load_sources([config] if isinstance(config, str) else list(config), {}).config
        except ConfigError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_ERROR) from None
        kwargs = {"metric_filters": cfg.metric_filters, "metric_alarms": cfg.metric_alarms,
                  "composite_alarms": cfg.composite_alarms}
    try:
        picture = build_picture(doc, title=f"cwfilter run: {_display(results)}", **kwargs)
    except ValueError as exc:
        _error(f"{_display(results)}: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    if not config and not any(k in doc for k in ("MetricAlarms", "CompositeAlarms")) and doc.get("alarmHistory"):
        _note("the results hold no alarm definitions: give --config to chart the alarms' statistics")
    _print_pictures(picture, sys.stdout)
    if report:
        try:
            _write_report(picture, report)
        except OSError as exc:
            _error(f"cannot write {report}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(0)


def _run_pictures(renderer: Any, summary: dict, cfg: Any, config_name: str, plot: bool, report: str | None) -> None:
    """`run --plot` / `run --report`: pictures of the run just made, exact from its samples."""
    from .engine.alarms.notifications import history_item
    from .engine.report.picture import build_picture
    from .engine.report.text import group_metrics

    doc = {
        "metrics": group_metrics(renderer.kept, renderer.statistics),
        "summary": summary,
        "alarmHistory": [history_item(c.transition) for c in renderer.transitions],
    }
    picture = build_picture(
        doc, metric_filters=cfg.metric_filters, metric_alarms=cfg.metric_alarms,
        composite_alarms=cfg.composite_alarms, datapoints=renderer.kept, title=f"cwfilter run {config_name}",
    )
    if report:
        try:
            _write_report(picture, report)
        except OSError as exc:
            _error(f"cannot write {report}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_ERROR) from None
    if plot:
        # The charts are results on a terminal; next to machine output they go to stderr.
        _print_pictures(picture, sys.stdout if renderer.output is RunOutput.table else sys.stderr)



# --------------------------------------------------------------------------- sources: import, agent


class ImportOutput(str, enum.Enum):
    """Rendering of `cwfilter import`."""

    yaml = "yaml"
    json = "json"


@app.command("import")
def import_command(
    sources: SourcesArg,
    parameter: ParameterOpt = None,
    output: Annotated[ImportOutput, typer.Option("--output", "-o", help="yaml (with a comment naming each item's origin) or json.")] = ImportOutput.yaml,
    var_file: _VarFileOption = None,
    module_path: _ModulePathOption = None,
) -> None:
    """Write the native config equivalent to CloudFormation, CDK or Terraform sources.

    `cwfilter import template.yaml > cwfilter.yaml`. Exit status: 0 written, 2 when a source has
    an error (a value that cannot be resolved, an invalid filter or alarm).
    """
    from .engine.config.sources import load_sources, parse_parameters, render_native
    from .engine.errors import ConfigError

    try:
        loaded = load_sources(sources, parse_parameters(parameter), on_warning=lambda w: _note(str(w)),
                              **_terraform_options(var_file, module_path))
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    sys.stdout.write(render_native(loaded, sources, output.value))


def _agent_inputs(path: str, params: dict, root: str | None, fmt: str, follow: bool, options: Any) -> list:
    """The inputs `--agent-config` adds: each collected file's events, bound to its log group."""
    from .engine.config.sources.agent import AgentConfigError, agent_inputs, is_agent_config
    from .engine.config.sources.documents import DocumentError, parse_text

    if fmt != "auto" or follow:
        _error("--agent-config reads files as the agent does: it takes neither --format nor --follow")
        raise typer.Exit(EXIT_ERROR)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            docs = parse_text(handle.read(), path)
        if not docs or not is_agent_config(docs[0].data):
            raise AgentConfigError(f"{path}: not a CloudWatch agent configuration (no logs.logs_collected)")
        streams, notes = agent_inputs(docs[0], params, root=root, start_ms=options.start_ms, step_ms=options.step_ms)
    except OSError as exc:
        _error(f"cannot read {path}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except (DocumentError, AgentConfigError) as exc:
        _error(str(exc) if not isinstance(exc, DocumentError) else f"{path}: {exc.message}")
        raise typer.Exit(EXIT_ERROR) from None
    for note in notes:
        _note(note)
    return streams


# --------------------------------------------------------------------------- unit, rules: alert rules as unit tests, rule packs


class UnitOutput(str, enum.Enum):
    """Rendering of `cwfilter unit` results."""

    text = "text"
    json = "json"
    github = "github"


def _diff_line(line: str, colour: bool) -> str:
    """A failure line, coloured as a diff on a terminal (- expected in red, + got in green)."""
    if not colour:
        return line
    stripped = line.lstrip()
    if stripped.startswith("- "):
        return typer.style(line, fg="red")
    if stripped.startswith("+ "):
        return typer.style(line, fg="green")
    return line


@app.command("unit")
def unit_command(
    files: Annotated[list[str], typer.Argument(metavar="FILE", help="Scenario files (YAML).")],
    run: Annotated[str | None, typer.Option("--run", metavar="REGEX", help="Run only the tests whose name matches REGEX (searched anywhere in the name).")] = None,
    junit_xml: Annotated[str | None, typer.Option("--junit-xml", metavar="PATH", help="Also write the results as JUnit XML, one testcase per test.")] = None,
    output: Annotated[UnitOutput, typer.Option("--output", "-o", help="text, json or github (GitHub Actions annotations).")] = UnitOutput.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the failures and the totals.")] = False,
) -> None:
    """Run scenario files: alert rules as unit tests, like `promtool test rules`.

    Each test feeds log events through the config's metric filters and alarms on a simulated clock
    and checks matches, datapoints and alarm states. Failures print as a diff (- expected, + got).
    Exit status: 0 when every test passed, 1 when one failed (or none was selected), 2 for an
    invalid scenario file.
    """
    import re

    from .engine.testing.scenario import ScenarioError, load_scenario, run_scenario
    from .engine.testing.scenario import junit_xml as render_junit

    try:
        select = re.compile(run).search if run is not None else None
    except re.error as exc:
        _error(f"--run: invalid regular expression: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    results: list[Any] = []
    errors: dict[str, list[Any]] = {}
    for name in files:
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            errors[name] = exc.issues
            for issue in exc.issues:
                typer.echo(str(issue), err=True)
                if output is UnitOutput.github:
                    from .engine.config.sources.sarif import github_annotation

                    text = f"{issue.path}: {issue.message}" if issue.path else issue.message
                    typer.echo(github_annotation("error", text, file=issue.source, line=issue.line,
                                                 column=issue.column, title="invalid scenario file"))
            continue
        results.extend(run_scenario(scenario, (lambda n: bool(select(n))) if select else None))
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    if output is UnitOutput.json:
        doc = {
            "tests": [r.to_json() for r in results],
            "errors": [{"file": i.source, "line": i.line, "path": i.path, "message": i.message}
                       for issues in errors.values() for i in issues],
            "summary": {"passed": passed, "failed": failed, "invalidFiles": len(errors)},
        }
        typer.echo(json.dumps(doc, indent=4, ensure_ascii=False))
    elif output is UnitOutput.github:
        from .engine.config.sources.sarif import github_annotation

        for r in results:
            if not r.passed:
                typer.echo(github_annotation("error", r.report(), title=f"FAIL {r.name}",
                                             file=r.file, line=r.line))
        typer.echo(f"{passed} passed, {failed} failed" + (f", {_plural(len(errors), 'invalid file')}" if errors else ""),
                   err=True)
    else:
        colour = _colour(sys.stdout)
        for r in results:
            where = f"{r.file}:{r.line}" if r.line is not None else r.file
            if r.passed:
                if not quiet:
                    word = typer.style("PASS", fg="green") if colour else "PASS"
                    typer.echo(f"{word}  {where}: {r.name}")
                continue
            word = typer.style("FAIL", fg="red", bold=True) if colour else "FAIL"
            typer.echo(f"{word}  {where}: {r.name}")
            for line in r.report().splitlines():
                typer.echo(_diff_line("  " + line, colour))
        summary = f"{passed} passed, {failed} failed"
        if errors:
            summary += f", {_plural(len(errors), 'invalid file')}"
        typer.echo(summary)
    if junit_xml is not None:
        try:
            with open(junit_xml, "w", encoding="utf-8") as handle:
                handle.write(render_junit(results, errors))
        except OSError as exc:
            _error(f"cannot write {junit_xml}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_ERROR) from None
    if errors:
        raise typer.Exit(EXIT_ERROR)
    if not results:
        _note(f"no test matches --run {run!r}" if run is not None else "the files hold no tests")
        raise typer.Exit(EXIT_NO_MATCH)
    raise typer.Exit(EXIT_NO_MATCH if failed else EXIT_MATCH)


rules_app = typer.Typer(
    name="rules",
    help="Ready-made rule packs: print one as a config, or check a config against it.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(rules_app, name="rules")


class RulesOutput(str, enum.Enum):
    """Rendering of `cwfilter rules`: yaml or json for a config, text or json for --check."""

    yaml = "yaml"
    json = "json"
    text = "text"


@rules_app.command("cis")
def rules_cis_command(
    version: Annotated[str, typer.Option("--version", help="Benchmark version: 1.2, 1.4, 3.0, 5.0, 6.0 or securityhub (the AWS Security Hub CloudWatch.1-14 controls).")] = "securityhub",
    check: Annotated[str | None, typer.Option("--check", metavar="CONFIG", help="Compare this config with the benchmark, control by control, instead of printing the pack.")] = None,
    log_group: Annotated[str | None, typer.Option("--log-group", help="The CloudTrail log group the filters read (default CloudTrail/DefaultLogGroup).")] = None,
    namespace: Annotated[str | None, typer.Option("--namespace", help="Metric namespace (default CISBenchmark).")] = None,
    sns_topic: Annotated[str | None, typer.Option("--sns-topic", metavar="ARN", help="SNS topic ARN for the alarms' AlarmActions.")] = None,
    output: Annotated[RulesOutput | None, typer.Option("--output", "-o", help="yaml or json for the pack (default yaml); text or json with --check (default text).")] = None,
    parameter: Annotated[list[str] | None, typer.Option("--parameter", "-p", metavar="KEY=VALUE", help="A template parameter, Terraform variable, pseudo parameter (AWS::Region) or agent placeholder (instance_id); repeatable. With --check.")] = None,
    var_file: _VarFileOption = None,
    module_path: _ModulePathOption = None,
) -> None:
    """The CIS AWS Foundations Benchmark / Security Hub metric filters and alarms.

    Prints a ready config: one metric filter per control with the benchmark's pattern, and an
    alarm on it (Sum over 300 s >= 1, missing data not breaching). With --check CONFIG, reports
    for each control whether CONFIG has a filter with the benchmark's text (what Security Hub
    checks), one that behaves the same on the pack's sample events, one that behaves differently
    (listing those events) or none, and which alarm watches it. Exit status: 0 printed, or every
    control covered with an alarm; 1 when --check finds a control not covered; 2 for bad input.
    """
    from .engine.testing import cis

    if version not in cis.VERSIONS:
        _error(f"unknown --version {version!r}; one of {', '.join(cis.VERSIONS)}")
        raise typer.Exit(EXIT_ERROR)
    if check is None:
        if output is RulesOutput.text:
            _error("-o text goes with --check; the pack prints as yaml or json")
            raise typer.Exit(EXIT_ERROR)
        options = {k: v for k, v in (("log_group", log_group), ("namespace", namespace), ("sns_topic", sns_topic)) if v}
        if output is RulesOutput.json:
            text = json.dumps(cis.build_config(version, **options), indent=4, ensure_ascii=False) + "\n"
        else:
            text = cis.config_yaml(version, **options)
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # `cwfilter rules cis | head`
            _silence_stdout()
        raise typer.Exit(0)
    if output is RulesOutput.yaml:
        _error("--check reports as text or json")
        raise typer.Exit(EXIT_ERROR)
    if log_group or namespace or sns_topic:
        _error("--log-group, --namespace and --sns-topic shape the printed pack; --check reads them from CONFIG")
        raise typer.Exit(EXIT_ERROR)
    from .engine.config.sources import load_sources, parse_parameters
    from .engine.errors import ConfigError

    try:
        # The config may come from any source `check` reads (CloudFormation, CDK, Terraform ...),
        # with the same --parameter, --var-file and --module-path options.
        cfg = load_sources([check], parse_parameters(parameter), on_warning=lambda w: _note(str(w)),
                           **_terraform_options(var_file, module_path)).config
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    reports = cis.check_config(cfg, version)
    covered = sum(1 for r in reports if r.ok)
    if output is RulesOutput.json:
        doc = {"benchmark": cis.benchmark_title(version), "version": version, "config": check,
               "controls": [r.to_json() for r in reports],
               "summary": {"controls": len(reports), "covered": covered}}
        typer.echo(json.dumps(doc, indent=4, ensure_ascii=False))
    else:
        _render_cis_check(reports, cis.benchmark_title(version), check, len(cis.samples()))
        typer.echo(f"{covered} of {len(reports)} controls covered as the benchmark expects")
    raise typer.Exit(0 if covered == len(reports) else EXIT_NO_MATCH)


def _render_cis_check(reports: list[Any], title: str, config: str, samples: int) -> None:
    colour = _colour(sys.stdout)
    typer.echo(f"{title}, checked against {config}:")
    width_c = max(len(r.control.control) for r in reports)
    width_f = max([len(r.filter_name or "-") for r in reports] + [6])
    shade = {"exact": "green", "equivalent": "green", "different": "yellow", "missing": "red"}
    for r in reports:
        status = f"{r.status:<10}"
        if colour:
            status = typer.style(status, fg=shade[r.status])
        alarm = f"alarm {', '.join(r.alarms)}" if r.alarms else ("no alarm" if r.filter_name else "-")
        typer.echo(f"{r.control.control:<{width_c}}  {status}  {(r.filter_name or '-'):<{width_f}}  {alarm}")
        pad = " " * (width_c + 2)
        if r.status == "equivalent":
            typer.echo(f"{pad}written differently; the same result on all {samples} sample events")
        if r.status == "different":
            shown = r.differences[:10]
            typer.echo(f"{pad}differs from the benchmark on {_plural(len(r.differences), 'sample event')}:")
            for d in shown:
                bench = "matches" if d.benchmark else "does not match"
                yours = "yours does" if d.yours else "yours does not"
                typer.echo(f"{pad}  {d.sample.id}: the benchmark {bench}, {yours}: {d.sample.summary()}")
            if len(r.differences) > len(shown):
                typer.echo(f"{pad}  ... and {len(r.differences) - len(shown)} more (see --output json)")
        for note in r.notes:
            typer.echo(f"{pad}{note}")


# --------------------------------------------------------------------------- validate-logs


@app.command("validate-logs")
def validate_logs_command(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files and folders of a local copy of a CloudTrail S3 archive (folders are walked).")],
    start: Annotated[str | None, typer.Option("--start", help="Only digests from this time on (ISO-8601 or epoch ms).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Only digests up to this time, plus one hour (ISO-8601 or epoch ms).")] = None,
    public_keys: Annotated[list[str] | None, typer.Option("--public-keys", metavar="FILE", help="`aws cloudtrail list-public-keys` output; repeatable (one per region).")] = None,
    signatures: Annotated[str | None, typer.Option("--signatures", metavar="FILE", help="Digest signatures: a JSON object of S3 key -> hex signature, or JSON lines of `aws s3api head-object` output with the Key added.")] = None,
    output: Annotated[ExplainOutput, typer.Option("--output", "-o", help="text or json.")] = ExplainOutput.text,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list the files that are valid.")] = False,
) -> None:
    """Validate a local copy of a CloudTrail archive with its digest files, offline.

    Does what `aws cloudtrail validate-logs` does in S3: every log file a digest lists is present
    and has the SHA-256 the digest holds; the chain of digests is whole (each previous digest
    present, with the hash its successor holds); no digest was moved; and, with --public-keys and
    --signatures, each digest's SHA256withRSA signature holds. Log files that no digest lists
    inside an hour a digest covers are INVALID (added after delivery). Local files are matched to
    S3 keys by their path from `AWSLogs/` on. Exit status: 0 when everything checked is valid, 1
    when anything is INVALID or missing (or no digest was found), 2 on bad usage.
    """
    import datetime as dt

    from .engine.inputs.cloudtrail_validate import KeysError, load_public_keys, load_signatures, validate_archive

    for path in paths:
        if not os.path.exists(path):
            _error(f"no such file or folder: {path}")
            raise typer.Exit(EXIT_ERROR)
    if (public_keys is None) != (signatures is None):
        _error("--public-keys and --signatures go together (the signatures are checked with the keys)")
        raise typer.Exit(EXIT_ERROR)
    times = [None if t is None else dt.datetime.fromtimestamp(_parse_time(t, o) / 1000, dt.UTC)
             for t, o in ((start, "--start"), (end, "--end"))]
    if times[0] is not None and times[1] is not None and times[0] > times[1]:
        _error("--start must come before --end")
        raise typer.Exit(EXIT_ERROR)
    try:
        keys = load_public_keys(public_keys) if public_keys is not None else None
        sigs = load_signatures(signatures) if signatures is not None else None
    except KeysError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    text = output is ExplainOutput.text

    def on_result(result: Any) -> None:
        if text and (verbose or not result.valid):
            sys.stdout.write(result.line() + "\n")

    def on_gap(message: str) -> None:
        if text:
            sys.stdout.write(message + "\n")

    if text:
        shown = [t.strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None for t in times]
        sys.stdout.write(f"Validating log files in {', '.join(paths)} between {shown[0] or 'the start of the copy'} "
                         f"and {shown[1] or 'the end of the copy'}\n\n")
    try:
        report = validate_archive(paths, start=times[0], end=times[1], public_keys=keys, signatures=sigs,
                                  keep_valid=not text, on_result=on_result, on_gap=on_gap)
        if text:
            sys.stdout.write("\n" + "\n".join(report.summary_lines()) + "\n")
        else:
            sys.stdout.write(json.dumps(report.as_dict(), indent=4, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(EXIT_NO_MATCH) from None
    raise typer.Exit(EXIT_MATCH if report.ok else EXIT_NO_MATCH)


class SchemaKind(str, enum.Enum):
    """The file formats `cwfilter schema` describes."""

    config = "config"
    scenario = "scenario"


@app.command("schema")
def schema_command(
    kind: Annotated[SchemaKind, typer.Argument(help="config (the files of check, run, lint) or scenario (the files of unit).")],
) -> None:
    """Print the JSON Schema (Draft 2020-12) of the config or the scenario file format.

    Editors validate and complete a file as it is typed when its first line names the schema:
    `# yaml-language-server: $schema=<URL>` (the URL is the schema's `$id`). Exit status 0.
    """
    from .engine.schema import schema

    typer.echo(json.dumps(schema(kind.value), indent=2, ensure_ascii=False))


def main() -> None:
    """Console-script entry point (`cwfilter`)."""
    # `--fail-on-alarm` alone means `--fail-on-alarm=end` (typer options take no optional value).
    sys.argv[1:] = ["--fail-on-alarm=end" if a == "--fail-on-alarm" else a for a in sys.argv[1:]]
    name = sys.argv[1] if len(sys.argv) > 1 else None
    chosen = [info for info in app.registered_commands if info.name == name]
    if chosen:
        # Typer turns the signature of every command into click options at each start (about
        # 20 ms for all of them); the command line names one command, so only it is built. The
        # group keeps its callback (`--version`), so usage lines and errors read as with all.
        one = _new_app()
        one.registered_callback = app.registered_callback
        one.registered_commands = chosen
        one()
        return
    app()


# --------------------------------------------------------------------------- help texts


class _Command(typer.core.TyperCommand):
    """A command whose usage line shows repeatable arguments as such: `PATTERN [FILE]...`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or (param.name or "").upper()).strip("[]{}").removesuffix("...")
                piece = name if param.required else f"[{name}]"
                pieces.append(piece + ("..." if param.nargs == -1 else ""))
        return pieces


def _reflow(doc: str) -> str:
    """A docstring with each paragraph on one line, so that help wraps it at the terminal's width."""
    import inspect

    return "\n\n".join(" ".join(paragraph.split()) for paragraph in inspect.cleandoc(doc).split("\n\n"))


def _tidy_help(group: typer.Typer) -> None:
    """Reflowed help texts and usage lines with repeatable arguments, for every command."""
    for info in group.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _reflow(info.callback.__doc__)
        if info.cls in (None, typer.core.TyperCommand):
            info.cls = _Command
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _tidy_help(sub.typer_instance)


_tidy_help(app)
