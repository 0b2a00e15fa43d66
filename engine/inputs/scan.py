"""`cwfilter test -o text` for term patterns over line input, a whole block at a time.

A pattern of terms (``ERROR``, ``ERROR -DEBUG``, ``"request failed" 503``) matches a line when
every include term is in it and no exclude term is (DECISIONS P1, P2). Instead of splitting a
block of lines, decoding each line and testing it, the block's bytes are searched for the longest
include term with a SIMD substring search (stringzilla); each hit is widened to its line, the
other terms are tested on that line's bytes, and the matching lines are written out as they stand,
in one write per block. The lines of the block are counted with the same SIMD search.

That is exact on the blocks `messages.read_messages` hands over as plain (see `PlainBlock`):
valid UTF-8, so a term is in a line's bytes exactly when it is in its text; no CR to strip; no
empty or oversize line to count. Every other event (a line cut by a read, a block with a CR, an
empty or oversize line or invalid UTF-8, an input in a document format) comes as a message and is
tested as text, as before. The output and the accounting are those of per-line evaluation.

`MatchWriter` writes the matches of any other pattern the same way (bytes, held and written
together), without the block scan.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, Final

from .messages import MessageStats, PlainBlock, read_messages

__all__ = ["MatchWriter", "TermScan", "bytes_beneath", "line_terms", "plain_terms", "scan_inputs"]

# DECISIONS P17, P3: unquoted terms are runs of [A-Za-z0-9_], each with an optional `?` or `-`
# operator, which may also start a new term inside a word (`ORDER-ITEM-1` is `ORDER -ITEM -1`);
# whitespace is space, tab, CR and LF (P23). Written so that a text has one reading (no
# backtracking on a long word). Anything else (quotes, a dangling operator, `{`, `[`, `%`) is
# left to the parser.
_WORDS: Final = re.compile(r"[ \t\r\n]*[?-]?[A-Za-z0-9_]+(?:(?:[ \t\r\n]+[?-]?|[?-])[A-Za-z0-9_]+)*[ \t\r\n]*")
_TERM: Final = re.compile(r"([?-]?)([A-Za-z0-9_]+)")
# Matching events given as text are written out together once this many bytes are held.
HELD_BYTES: Final = 1 << 16
# DECISIONS P15: a longer pattern is refused by the parser, which says so.
_MAX_PATTERN: Final = 1024


def plain_terms(text: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """``(include, exclude)`` of a pattern made of unquoted words, read without the parser.

    None when the pattern is anything else, or when its matches are not "every include term and
    no exclude term" with at least one include term (only exclude terms; several `?` terms).
    """
    if len(text) > _MAX_PATTERN or _WORDS.fullmatch(text) is None:
        return None
    include, exclude, optional = [], [], []
    for op, word in _TERM.findall(text):
        (include if not op else exclude if op == "-" else optional).append(word)
    return _shape(tuple(include), tuple(exclude), tuple(optional))


def line_terms(tree: Any) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """``(include, exclude)`` of a parsed term pattern that a block scan can run; else None."""
    from ...grammar import nodes

    if not isinstance(tree, nodes.TermPattern) or not tree.terms:
        return None
    terms = tree.terms

    def always(t: Any) -> bool:  # DECISIONS P17: a quoted all-whitespace term is in every event
        return t.quoted and nodes.is_blank(t.text)

    include = [t for t in terms if t.kind == "include"]
    exclude = [t for t in terms if t.kind == "exclude"]
    optional = [t for t in terms if t.kind == "optional"]
    if any(always(t) for t in exclude) or (not include and not exclude and any(always(t) for t in optional)):
        return None  # matches nothing, or everything: no word to look for
    return _shape(tuple(t.text for t in include if not always(t)) if include else (),
                  tuple(t.text for t in exclude), tuple(t.text for t in optional))


def _shape(include: tuple[str, ...], exclude: tuple[str, ...],
           optional: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    if not include and not exclude and len(set(optional)) == 1:
        include = optional[:1]  # one `?` term alone is an include term
    elif not include:
        return None  # DECISIONS P2: `?` terms count only alone; exclude terms alone need every line
    words = include + exclude
    if any("\n" in w for w in include):
        return None  # never in a line; a block search would find it across two
    try:
        for w in words:
            w.encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: no line's bytes hold it
    return tuple(dict.fromkeys(include)), tuple(dict.fromkeys(exclude))


def bytes_beneath(stream: Any) -> BinaryIO | None:
    """The binary stream under a text stream (``sys.stdout``) when text written to the latter
    reaches it as UTF-8 with no newline translation; else None."""
    encoding = getattr(stream, "encoding", None)
    buffer = getattr(stream, "buffer", None)
    if not isinstance(encoding, str) or buffer is None or os.linesep != "\n":
        return None
    try:
        return buffer if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


class _OutputFailed(Exception):
    """Writing out failed inside a `PlainBlock` (the original OSError in `error`)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


class MatchWriter:
    """Writes the events a pattern matches to a binary stream, and counts them.

    Args:
        matches: message -> whether the pattern matches it (a compiled pattern's `matches`).
        out: a binary stream (``sys.stdout.buffer``); events are written UTF-8 encoded, each
            followed by ``\\n``.
        line_buffered: flush after each matching event (a terminal, ``--line-buffered``);
            otherwise matching events go out together (see `write`).
    """

    #: A `messages.PlainBlock` for whole blocks of line input, or None.
    block: PlainBlock | None = None

    def __init__(self, matches: Callable[[str], bool], out: BinaryIO, line_buffered: bool = False) -> None:
        self.matched = 0
        self.matches = matches
        self._out = out
        self._line_buffered = line_buffered
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, message: str) -> None:
        """Write one matching event given as text (as a text stdout with backslashreplace would).

        Unless line-buffered, events are held until `HELD_BYTES` gather, the next block's
        matches go out or `flush` is called: one write for many, even on an unbuffered stdout
        (PYTHONUNBUFFERED).
        """
        self.matched += 1
        data = message.encode("utf-8", "backslashreplace") + b"\n"
        if self._line_buffered:
            self._out.write(data)
            self._out.flush()
            return
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes >= HELD_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the events held back."""
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._held_bytes = 0
            self._out.write(data)


class TermScan(MatchWriter):
    """The block scan of one term pattern (see the module docstring).

    Args:
        include, exclude: the pattern's terms (see `line_terms`).
        out, line_buffered: as for `MatchWriter`; each block's matching lines go out in one write.
    """

    def __init__(self, include: tuple[str, ...], exclude: tuple[str, ...], out: BinaryIO,
                 line_buffered: bool = False) -> None:
        import stringzilla

        super().__init__(self._terms_match, out, line_buffered)
        self._include, self._exclude = include, exclude
        longest = max(include, key=lambda w: len(w.encode("utf-8")))
        self._needle = longest.encode("utf-8")
        self._others = tuple(w.encode("utf-8") for w in include if w != longest)
        self._excluded = tuple(w.encode("utf-8") for w in exclude)
        self._find = stringzilla.find
        self._count = stringzilla.count

    def _terms_match(self, message: str) -> bool:
        """Whether the pattern matches one event's text (DECISIONS P1: substring, case-sensitive)."""
        for w in self._include:
            if w not in message:
                return False
        for w in self._exclude:
            if w in message:
                return False
        return True

    def block(self, data: bytes, start: int, cut: int) -> int:  # type: ignore[override]
        """A `messages.PlainBlock`: write the matching lines of ``data[start:cut]``; return its line count."""
        find, needle, others, excluded = self._find, self._needle, self._others, self._excluded
        hits: list[bytes] = []
        at = find(data, needle, start, cut)
        while at >= 0:
            # The hit's line: the block ends with a line break, and holds no empty line.
            begin = data.rfind(b"\n", start, at) + 1 or start
            end = data.find(b"\n", at + len(needle), cut)
            line = data[begin:end]
            for w in others:
                if w not in line:
                    break
            else:
                for w in excluded:
                    if w in line:
                        break
                else:
                    hits.append(data[begin:end + 1])
            at = find(data, needle, end + 1, cut)
        if hits:
            self.matched += len(hits)
            try:
                if self._line_buffered:
                    for hit in hits:
                        self._out.write(hit)
                        self._out.flush()
                else:
                    if self._held:
                        hits[:0] = self._held
                        self._held.clear()
                        self._held_bytes = 0
                    self._out.write(b"".join(hits))
            except OSError as exc:
                # Raised inside the reader, which takes its own OSErrors for the input's.
                raise _OutputFailed(exc) from None
        return self._count(data, b"\n", start, cut)


def scan_inputs(writer: MatchWriter, names: Iterable[str], stats: MessageStats, fmt: str = "auto",
                block_filter: Callable[[bytes], bool] | None = None) -> int:
    """Read the inputs as `read_messages` does and write the events `writer` matches; return how many.

    A `TermScan` takes whole blocks of line input; `block_filter` (a compiled pattern's) lets
    blocks without a match be counted without being split.

    Raises what `read_messages` raises; ``writer.matched`` counts what was written before.
    """
    matches = writer.matches
    try:
        for _, message in read_messages(names, stats, fmt, block_filter, writer.block):
            if matches(message):
                writer.write(message)
    except _OutputFailed as failed:
        raise failed.error from None  # a pipe closed by the reader (`| head -1`), a full disk
    finally:
        writer.flush()  # also before an input's error is reported: what matched before it is out
    return writer.matched
