"""The CloudWatch agent's configuration: which local files reach which log group, and how.

``amazon-cloudwatch-agent.json`` (often kept in SSM Parameter Store and shared by many instances)
lists under ``logs.logs_collected.files.collect_list`` the files the agent ships. This module reads
local files the way the agent does (its source, ``plugins/inputs/logfile``, and the configuration
reference were the model):

* ``file_path`` is a glob with ``**`` crossing directories; of the files it matches only the most
  recently modified one is read, unless ``publish_multi_logs`` is true; ``blacklist`` drops files
  by base name.
* ``log_group_name`` (``{hostname}`` and the other placeholders resolved), defaulting to the path
  without its extension.
* Lines join into events: a line matching ``multi_line_start_pattern`` (by default any line that
  starts with a non-space character, ``{timestamp_format}`` meaning the timestamp's regex) starts
  an event, other lines are appended with a newline.
* ``timestamp_format`` (the agent's ``%`` symbols) gives each event its time, in ``timezone``
  (``UTC`` or local); an event without one gets the last valid time of its stream, else the time
  of reading (or ``--start``); without ``timestamp_format`` every event gets the time of reading.
* ``filters`` (RE2 ``include`` / ``exclude``, applied in order, all must pass) drop events.
* ``encoding`` decodes the file; events over ``max_event_size`` (256 KiB) are cut and end with
  ``[Truncated...]``.
"""

from __future__ import annotations

import calendar
import codecs
import datetime as dt
import io
import json
import os
import posixpath
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import Document
from .kinds import is_agent_config as is_agent_config  # re-exported: the readers keep their test
from .model import ERROR, Finding, LogDelivery, Origin

DEFAULT_MAX_EVENT_SIZE = 256 * 1024   # defaultMaxEventSize in the agent's fileconfig.go
TRUNCATE_SUFFIX = "[Truncated...]"
DEFAULT_MULTILINE_START = r"^[\S]"      # the agent's default: a line starting with non-space

# timestamp_format symbol -> the regex the agent searches with (its TimeFormatRexMap).
_TS_REGEX = {
    "%B": r"\w{7}", "%b": r"\w{3}", "%-m": r"\s{0,1}\d{1,2}", "%m": r"\s{0,1}\d{1,2}",
    "%A": r"\w{6,9}", "%a": r"\w{3}", "%-d": r"\s{0,1}\d{1,2}", "%d": r"\s{0,1}\d{1,2}",
    "%H": r"\d{2}", "%-I": r"\d{1,2}", "%I": r"\d{2}", "%-M": r"\d{1,2}", "%M": r"\d{2}",
    "%-S": r"\d{1,2}", "%S": r"\d{2}", "%Y": r"\d{4}", "%y": r"\d{2}", "%p": r"\w{2}",
    "%Z": r"\w{3}", "%z": r"[\+-]\d{4}", "%f": r"\d{1,9}",
}
# Characters special in a regex but plain in the format, escaped by the agent (TimeFormatRegexEscapeMap).
_TS_ESCAPE = set("^.*?|[](){}$")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS_ABBR = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}


class AgentConfigError(ValueError):
    """A CloudWatch agent configuration that cannot be used.

    ``str()`` names the file, line and entry; `detail`, `line` and `path` hold the parts.
    """

    def __init__(self, detail: str, source: str | None = None, line: int | None = None, path: str = "") -> None:
        where = ":".join(str(p) for p in (source, line) if p is not None)
        super().__init__(": ".join(p for p in (where, path, detail) if p))
        self.detail, self.source, self.line, self.path = detail, source, line, path


def re2_error() -> type[Exception]:
    """The exception google-re2 raises for an invalid expression."""
    import re2

    return re2.error


def _re2(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options=options)


# --------------------------------------------------------------------------- timestamps


class TimestampFormat:
    """An agent ``timestamp_format``: finds the first timestamp in an event and reads it."""

    def __init__(self, fmt: str, timezone: str | None) -> None:
        self.fmt = fmt
        self.utc = timezone == "UTC"  # the agent: "UTC" is UTC, anything else local time
        search: list[str] = []
        parse: list[str] = []
        self.fields: list[str] = []
        i = 0
        for m in re.finditer(r"%-?[A-Za-z]", fmt):
            for ch in fmt[i:m.start()]:
                search.append("\\" + ch if ch in _TS_ESCAPE else ch)
                parse.append(re.escape(ch))
            i = m.end()
            sym = m.group(0)
            if sym in _TS_REGEX:
                search.append(_TS_REGEX[sym])
                self.fields.append(sym)
                parse.append(f"(?P<f{len(self.fields) - 1}>{_TS_REGEX[sym]})")
            else:
                search.append(re.escape(sym))
                parse.append(re.escape(sym))
        for ch in fmt[i:]:
            search.append("\\" + ch if ch in _TS_ESCAPE else ch)
            parse.append(re.escape(ch))
        text = "".join(search)
        text = text.removeprefix(r"\s{0,1}")  # as the agent trims it, so the layout can match
        self.regex_text = "(" + text + ")"
        try:
            self.search = re.compile(self.regex_text, re.ASCII)
        except re.error as exc:
            raise AgentConfigError(f"Timestamp format {fmt} is invalid: {exc}", path="timestamp_format") from None
        self.parse = re.compile("".join(parse), re.ASCII)

    def timestamp_ms(self, message: str, now: Callable[[], float] = time.time) -> int | None:
        """Epoch ms of the first timestamp in `message`, None when there is none or it is invalid."""
        found = self.search.search(message)
        if found is None:
            return None
        m = self.parse.fullmatch(found.group(1)) or self.parse.fullmatch(" " + found.group(1))
        if m is None:
            return None
        parts: dict[str, Any] = {}
        for idx, sym in enumerate(self.fields):
            parts[sym.replace("-", "")] = m.group(f"f{idx}").strip()
        try:
            return self._epoch_ms(parts, now)
        except (ValueError, KeyError, OverflowError):
            return None

    def _epoch_ms(self, p: dict[str, str], now: Callable[[], float]) -> int | None:
        year = None
        if "%Y" in p:
            year = int(p["%Y"])
        elif "%y" in p:
            yy = int(p["%y"])
            year = 1900 + yy if yy >= 69 else 2000 + yy  # Go's two-digit year rule
        if "%m" in p:
            month = int(p["%m"])
        elif "%B" in p:
            month = _MONTHS[p["%B"].lower()]
        elif "%b" in p:
            month = _MONTHS_ABBR[p["%b"].lower()]
        else:
            month = 1
        day = int(p.get("%d", "1"))
        if "%H" in p:
            hour = int(p["%H"])
        elif "%I" in p:
            hour = int(p["%I"]) % 12
            if p.get("%p", "").upper() == "PM":
                hour += 12
        else:
            hour = 0
        minute, second = int(p.get("%M", "0")), int(p.get("%S", "0"))
        micro = int((p["%f"] + "000000")[:6]) if "%f" in p else 0
        offset: int | None = None
        if "%z" in p:
            z = p["%z"]
            offset = (1 if z[0] == "+" else -1) * (int(z[1:3]) * 3600 + int(z[3:5]) * 60)
        elif "%Z" in p and p["%Z"].upper() in ("UTC", "GMT"):
            offset = 0
        missing_year = year is None
        if missing_year:
            # The agent gives a timestamp without a year the current year (a year back when that
            # would put it more than 30 days in the future).
            year = time.gmtime(now()).tm_year
        naive = dt.datetime(year, month, day, hour, minute, second, micro)
        ms = self._to_ms(naive, offset)
        if missing_year and ms - now() * 1000 > 30 * 86_400_000:
            ms = self._to_ms(naive.replace(year=year - 1), offset)
        return ms

    def _to_ms(self, naive: dt.datetime, offset: int | None) -> int:
        if offset is not None:
            aware = naive.replace(tzinfo=dt.timezone(dt.timedelta(seconds=offset)))
        elif self.utc:
            aware = naive.replace(tzinfo=dt.UTC)
        else:
            aware = naive.astimezone()  # the machine's local time zone, as the agent's time.Local
        return int(aware.timestamp() * 1000)


# --------------------------------------------------------------------------- entries


@dataclass(slots=True)
class AgentEntry:
    """One ``collect_list`` entry of the agent configuration."""

    file_path: str
    log_group: str
    log_stream: str
    origin: Origin
    publish_multi_logs: bool = False
    blacklist: Any = None
    filters: list[tuple[str, Any, str]] = field(default_factory=list)   # (type, compiled, expression)
    timestamp: TimestampFormat | None = None
    multiline: Any = None
    encoding: str = "utf-8"
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    trim_timestamp: bool = False


def _placeholders(text: str, values: Mapping[str, str], where: tuple) -> str:
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name in values:
            return values[name]
        if name in ("hostname", "local_hostname"):
            return socket.gethostname()
        raise AgentConfigError(f"{{{name}}} is known only on the instance; give --parameter {name}=VALUE", *where)
    return re.sub(r"\{(instance_id|hostname|local_hostname|ip_address)\}", one, text)


def _default_group(file_path: str) -> str:
    # The agent: "the part before the last dot in the file path" (filepath.Ext of the path).
    base = file_path.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base:
        return file_path
    return file_path[: len(file_path) - (len(base) - base.rindex("."))]


def read_entries(doc: Document, parameters: Mapping[str, str] | None = None) -> list[AgentEntry]:
    """The ``collect_list`` entries of an agent configuration.

    Raises:
        AgentConfigError: an entry the agent would refuse (a bad regex, filter type, encoding).
    """
    parameters = parameters or {}
    data = doc.data
    logs = data.get("logs") if isinstance(data, Mapping) else None
    if not isinstance(logs, Mapping):
        return []
    collected = logs.get("logs_collected") if isinstance(logs.get("logs_collected"), Mapping) else {}
    files = collected.get("files") if isinstance(collected.get("files"), Mapping) else {}
    entries = files.get("collect_list") or []
    default_stream = logs.get("log_stream_name") if isinstance(logs.get("log_stream_name"), str) else "{instance_id}"
    out: list[AgentEntry] = []
    base = ("logs", "logs_collected", "files", "collect_list")
    for i, e in enumerate(entries if isinstance(entries, list) else []):
        path = (*base, i)
        label = "logs.logs_collected.files.collect_list" + f"[{i}]"

        def where(key: str = "", _path: tuple = path, _label: str = label) -> tuple:
            line = doc.line((*_path, key) if key else _path)
            return doc.source, line, _label + (f".{key}" if key else "")

        if not isinstance(e, Mapping) or not isinstance(e.get("file_path"), str):
            raise AgentConfigError("file_path is required", *where())
        file_path = e["file_path"]
        group_text = e.get("log_group_name") or _default_group(file_path)
        group = _placeholders(str(group_text), parameters, where("log_group_name"))
        stream = str(e.get("log_stream_name") or default_stream)
        origin = Origin(doc.source, doc.line(path), label, "agent", label)
        entry = AgentEntry(file_path, group, stream, origin,
                           publish_multi_logs=e.get("publish_multi_logs") is True,
                           trim_timestamp=e.get("trim_timestamp") is True)
        try:
            if isinstance(e.get("blacklist"), str) and e["blacklist"]:
                entry.blacklist = _re2(e["blacklist"])
            for _j, f in enumerate(e.get("filters") or []):
                kind = f.get("type") if isinstance(f, Mapping) else None
                expression = f.get("expression") if isinstance(f, Mapping) else None
                if kind not in ("include", "exclude") or not isinstance(expression, str) or not expression:
                    raise AgentConfigError(f"Filter {json.dumps(f)} is invalid (type is include or exclude, "
                                           "expression a regex)", *where("filters"))
                entry.filters.append((kind, _re2(expression), expression))
            if isinstance(e.get("timestamp_format"), str):
                entry.timestamp = TimestampFormat(e["timestamp_format"], e.get("timezone"))
            start = e.get("multi_line_start_pattern") or DEFAULT_MULTILINE_START
            if start == "{timestamp_format}":
                if entry.timestamp is None:
                    raise AgentConfigError("multi_line_start_pattern is {timestamp_format}, but the entry has "
                                           "no timestamp_format", *where("multi_line_start_pattern"))
                entry.multiline = entry.timestamp.search
            else:
                entry.multiline = _re2(start)
        except AgentConfigError:
            raise
        except re2_error() as exc:  # RE2's error for a bad expression
            raise AgentConfigError(f"invalid regular expression: {exc}", *where()) from None
        encoding = str(e.get("encoding") or "utf-8")
        try:
            codecs.lookup(encoding.replace("_", "-"))
        except LookupError:
            raise AgentConfigError(f"the encoding {encoding} is not supported", *where("encoding")) from None
        entry.encoding = encoding.replace("_", "-")
        if isinstance(e.get("max_event_size"), int) and e["max_event_size"] > 0:
            entry.max_event_size = e["max_event_size"]
        out.append(entry)
    return out


def deliveries(doc: Document, parameters: Mapping[str, str] | None = None) -> tuple[list[LogDelivery],
                                                                                    list[Finding]]:
    """The log groups the agent writes to (for CWF209), and any problem of the configuration."""
    try:
        entries = read_entries(doc, parameters)
    except AgentConfigError as exc:
        return [], [Finding(exc.detail, ERROR, None, doc.source, exc.line, exc.path)]
    return [LogDelivery(e.log_group, f"the CloudWatch agent ({e.file_path})", "files", e.origin)
            for e in entries], []


# --------------------------------------------------------------------------- files


def _glob_regex(pattern: str) -> re.Pattern:
    """gobwas/glob semantics with '/' as separator: ``**`` crosses directories, ``*`` does not."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1:j]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = j + 1
        elif c == "{":
            j = pattern.find("}", i + 1)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                out.append("(?:" + "|".join(re.escape(a) for a in pattern[i + 1:j].split(",")) + ")")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _local_path(file_path: str, root: str | None) -> str:
    """The agent's path on this machine: under `root` when given (``c:\\x`` becomes ``ROOT/c/x``).

    Under a root the path is normalised first (``/../../etc/passwd`` is ``/etc/passwd``, as on the
    agent's machine), then joined under the root.

    Raises:
        ValueError: a path that would still leave the root (a relative path starting with ``..``).
    """
    path = file_path.replace("\\", "/")
    m = re.match(r"([A-Za-z]):/", path)
    if root is None:
        return path
    if m:
        path = f"/{m.group(1).lower()}/{path[3:]}"
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise ValueError(f"file_path {file_path!r} leaves --agent-root {root}")
    return str(Path(root) / normal.lstrip("/"))


def _inside(path: str, root: str) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def matching_files(entry: AgentEntry, root: str | None = None, notes: list[str] | None = None) -> list[str]:
    """The files an entry reads: every match with publish_multi_logs, else the newest one.

    Under a root, a match that is a symbolic link to a file outside the root is left out with a
    note in `notes`: the agent follows links, but on the machine the files came from, and that
    file is not in the copy.

    Raises:
        AgentConfigError: a ``file_path`` that leaves the root, naming the ``collect_list`` entry.
    """
    try:
        pattern = _local_path(entry.file_path, root).replace("\\", "/")
    except ValueError as exc:
        raise AgentConfigError(str(exc), entry.origin.file, entry.origin.line, entry.origin.path) from None
    if root is not None:
        found = _matching_files(entry, pattern)
        kept = [p for p in found if _inside(p, root)]
        for p in found:
            if p not in kept and notes is not None:
                notes.append(f"{entry.origin.where()}: {entry.origin.resource}: {p} links to "
                             f"{os.path.realpath(p)}, outside --agent-root {root}: not read")
        return kept
    return _matching_files(entry, pattern)


def _matching_files(entry: AgentEntry, pattern: str) -> list[str]:
    first_glob = min((pattern.find(c) for c in "*?[{" if c in pattern), default=-1)
    if first_glob < 0:
        return [pattern] if os.path.isfile(pattern) else []
    base = pattern[:first_glob].rsplit("/", 1)[0] or "/"
    regex = _glob_regex(pattern)
    found = []
    for directory, _, names in os.walk(base):
        for name in names:
            full = os.path.join(directory, name).replace("\\", "/")
            if regex.match(full) and not (entry.blacklist is not None and entry.blacklist.search(name)):
                found.append(full)
    found.sort()
    if entry.publish_multi_logs or len(found) <= 1:
        return found
    # "Only the latest file is pushed to CloudWatch Logs based on file modification time."
    return [max(found, key=lambda p: (os.stat(p).st_mtime, p))]


@dataclass(slots=True)
class FileResult:
    """What reading one file produced."""

    path: str
    log_group: str
    events: list[tuple[int, str]]
    dropped: int = 0         # by the entry's filters
    truncated: int = 0       # over max_event_size


def _cut(message: str, limit: int) -> tuple[str, bool]:
    data = message.encode("utf-8")
    if len(data) <= limit:
        return message, False
    keep = max(0, limit - len(TRUNCATE_SUFFIX.encode("utf-8")))
    return data[:keep].decode("utf-8", "ignore") + TRUNCATE_SUFFIX, True


def read_file(entry: AgentEntry, path: str, *, start_ms: int | None = None, step_ms: int = 1000,
              now: Callable[[], float] = time.time) -> FileResult:
    """The events the agent would publish from one file, in file order."""
    with open(path, "rb") as handle:
        raw = handle.read()
    text = raw.decode(entry.encoding, errors="replace")
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    messages: list[str] = []
    current: list[str] = []
    size = 0
    ignoring = False
    for line in lines:
        line = line.removesuffix("\r")
        if entry.multiline.search(line) or (not ignoring and not current):
            if current:
                messages.append("\n".join(current))
            current, size, ignoring = [line], len(line.encode("utf-8")), False
        elif ignoring or size >= entry.max_event_size:
            ignoring = True  # the agent drops further lines of an event already at its limit
        else:
            current.append(line)
            size += 1 + len(line.encode("utf-8"))
    if current:
        messages.append("\n".join(current))
    result = FileResult(path, entry.log_group, [])
    last_valid: int | None = None
    for i, message in enumerate(messages):
        message, cut = _cut(message, entry.max_event_size)
        result.truncated += cut
        ts = entry.timestamp.timestamp_ms(message, now) if entry.timestamp is not None else None
        if ts is not None:
            last_valid = ts
        elif last_valid is not None:
            ts = last_valid  # the agent's pusher: the stream's last valid timestamp
        elif start_ms is not None:
            ts = start_ms + i * step_ms
        else:
            ts = int(now() * 1000)
        if not all((kind == "include") == bool(regex.search(message)) for kind, regex, _ in entry.filters):
            result.dropped += 1
            continue
        result.events.append((ts, message))
    return result


class AgentStream(io.BytesIO):
    """One file's published events as ``aws logs filter-log-events`` output, bound to its log group.

    `cwfilter run` reads it like any input (its ``name`` and ``log_group`` are what the runner
    reports and binds).
    """

    def __init__(self, result: FileResult, stream_name: str) -> None:
        doc = {"events": [{"logStreamName": stream_name, "timestamp": ts, "message": msg}
                          for ts, msg in result.events]}
        super().__init__(json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        self.name = result.path
        self.log_group = result.log_group
        self.result = result


def agent_inputs(doc: Document, parameters: Mapping[str, str] | None = None, *, root: str | None = None,
                 start_ms: int | None = None, step_ms: int = 1000) -> tuple[list[AgentStream], list[str]]:
    """The inputs an agent configuration makes of local files, and notes for the summary.

    Raises:
        AgentConfigError: the configuration cannot be used.
    """
    streams: list[AgentStream] = []
    notes: list[str] = []
    for entry in read_entries(doc, parameters):
        files = matching_files(entry, root, notes)
        if not files:
            notes.append(f"{entry.origin.where()}: {entry.origin.resource}: no file matches "
                         f"{entry.file_path}" + (f" under {root}" if root else ""))
            continue
        for path in files:
            result = read_file(entry, path, start_ms=start_ms, step_ms=step_ms)
            if result.dropped:
                notes.append(f"{path}: the agent's filters drop {result.dropped} of "
                             f"{result.dropped + len(result.events)} events ({entry.origin.resource})")
            if result.truncated:
                notes.append(f"{path}: {result.truncated} events over {entry.max_event_size} bytes cut "
                             f"and marked {TRUNCATE_SUFFIX}")
            stream = entry.log_stream.replace("{instance_id}", "instance").replace("{hostname}", socket.gethostname())
            streams.append(AgentStream(result, stream))
    return streams, notes


def iter_messages(streams: list[AgentStream]) -> Iterator[tuple[str, int, str]]:
    """(log group, timestamp ms, message) of every published event, for tests and tools."""
    for s in streams:
        for ts, msg in s.result.events:
            yield s.log_group, ts, msg
