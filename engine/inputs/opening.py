"""Opening inputs: files, ``path@group`` specs, pipes and stdin, gzip recognised by its magic bytes.

`open_input` returns an `OpenedInput`, a binary stream that inflates gzip on the fly (one member
after another, a cut stream reported, not raised) and knows whether more bytes are waiting on a
pipe. A file that is missing, a directory or unreadable raises `InputError` with the problem kind.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

from .records import CHUNK, GZIP_MAGIC, InputError

__all__ = [
    "OpenedInput",
    "open_input",
    "parse_input_spec",
]


# AWS log group names: 1-512 characters of `a-z A-Z 0-9 _ - / . #` (CreateLogGroup API reference).
# A spec `path@group` is split only when `group` is such a name, so `user@host:file` stays a path.
_LOG_GROUP_RE = re.compile(r"[A-Za-z0-9_\-/.#]{1,512}")
STDIN_NAME: Final = "<stdin>"


def parse_input_spec(spec: str) -> tuple[str, str | None]:
    """Split an input spec into its path and the log group it is bound to.

    ``-`` is stdin; ``path@group`` binds the input to a log group. An existing file whose name
    contains ``@`` is taken whole, and so is a spec whose part after the last ``@`` is not a valid
    log group name.

    Returns:
        ``(path, group)``, `group` None when the spec names none.
    """
    if spec == "-" or "@" not in spec or os.path.lexists(spec):
        return spec, None
    path, _, group = spec.rpartition("@")
    if path and _LOG_GROUP_RE.fullmatch(group):
        return path, group
    return spec, None


def _read_function(stream: Any) -> Callable[[int], bytes]:
    """A function reading at most `n` bytes, returning as soon as some are available."""
    if isinstance(stream, io.TextIOBase):
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            raise TypeError("a binary stream is needed (text streams without .buffer are not supported)")
        stream = buffer
    read1 = getattr(stream, "read1", None)
    return read1 if read1 is not None else stream.read


class _Prefixed(io.RawIOBase):
    """A raw stream that first returns bytes already read (to look for the gzip magic), then the rest."""

    def __init__(self, prefix: bytes, read: Callable[[int], bytes]) -> None:
        super().__init__()
        self._prefix = prefix
        self._offset = 0
        self._read = read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._offset < len(self._prefix):
            n = min(len(buffer), len(self._prefix) - self._offset)
            buffer[:n] = self._prefix[self._offset:self._offset + n]
            self._offset += n
            return n
        data = self._read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class _Gunzip(io.RawIOBase):
    """Streaming gzip decompression that keeps what it decoded when the data is cut or damaged.

    Several gzip members in a row are read as one stream (as `gzip` does); NUL padding after the
    last member is ignored. A stream that ends inside a member sets `error` to
    ``("truncated-gzip", detail)``, data that does not decompress to ``("corrupt-gzip", detail)``;
    either way the stream then ends normally after the last bytes that could be decoded.
    """

    def __init__(self, read: Callable[[int], bytes]) -> None:
        super().__init__()
        self._read = read
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._offset = 0
        self._done = False
        self.compressed_bytes = 0
        self.error: tuple[str, str] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._pending) and not self._done:
            self._pending, self._offset = self._step(), 0
        n = min(len(buffer), len(self._pending) - self._offset)
        buffer[:n] = self._pending[self._offset:self._offset + n]
        self._offset += n
        return n

    def _input(self) -> bytes:
        data = self._read(CHUNK)
        self.compressed_bytes += len(data)
        return data

    def _step(self) -> bytes:
        z = self._z
        if z.eof:
            rest = z.unused_data
            while True:
                if not rest:
                    rest = self._input()
                    if not rest:
                        self._done = True
                        return b""
                if rest.startswith(GZIP_MAGIC[:1]):  # the next member (maybe split after 1 byte)
                    self._z = z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                    break
                if rest.strip(b"\0"):
                    return self._fail("corrupt-gzip", "data after the end of the gzip stream is not gzip")
                rest = b""  # NUL padding after the last member (gzip(1) accepts it): ignored
        else:
            data = z.unconsumed_tail or self._input()
            if not data:
                tail = z.flush()
                self._done = True
                self.error = (
                    "truncated-gzip",
                    f"the gzip stream ends before its end marker, "
                    f"after {self.compressed_bytes} compressed bytes",
                )
                return tail
        saved = z.copy()
        try:
            return z.decompress(data, CHUNK)
        except zlib.error as exc:
            # The failed call's output is lost: decode the same bytes again one at a time from the
            # state before it, to keep everything up to the damaged byte.
            self._z, kept = saved, []
            for i in range(len(data)):
                try:
                    kept.append(saved.decompress(data[i:i + 1]))
                except zlib.error:
                    break
            self._fail("corrupt-gzip", f"gzip data does not decompress after "
                                       f"{self.compressed_bytes} compressed bytes ({exc})")
            return b"".join(kept)

    def _fail(self, kind: str, detail: str) -> bytes:
        self._done = True
        self.error = (kind, detail)
        return b""


@dataclass(slots=True)
class OpenedInput:
    """An input ready to read: its name, the log group its spec binds it to, and its bytes.

    `stream` yields the decompressed bytes when the input is gzip. Close it with `close` (or use it
    as a context manager); stdin and streams passed in by the caller are left open.
    """

    source: str
    stream: BinaryIO
    log_group: str | None = None
    compressed: bool = False
    _gunzip: _Gunzip | None = field(default=None, repr=False)
    _owned: Any = field(default=None, repr=False)
    _base: Any = field(default=None, repr=False)  # the _Prefixed under `stream` (not gzip)

    def read_blocks(self, size: int) -> Iterator[bytes]:
        """The input's bytes in reads of up to `size`, each yielded as soon as it is available.

        Plain input is read without the buffering layer; from a pipe, bytes already waiting are
        gathered into one block (a writer that stops for a while still gets each line through).
        """
        stream, base = self.stream, self._base
        if base is None:
            yield from iter(lambda: stream.read1(size), b"")
            return
        data = stream.read1(size)  # what the buffer holds (or the bytes read to sniff)
        if data:
            yield data
        if base._offset < len(base._prefix):
            rest, base._offset = base._prefix[base._offset:], len(base._prefix)
            yield rest
        read = base._read
        waiting = _waiting(getattr(read, "__self__", None))
        while True:
            data = read(size)
            if not data:
                return
            if waiting is not None and len(data) < size and waiting():
                parts, n = [data], len(data)
                while n < size and waiting():
                    more = read(size - n)
                    if not more:
                        break
                    parts.append(more)
                    n += len(more)
                data = b"".join(parts)
            yield data

    @property
    def decompress_error(self) -> tuple[str, str] | None:
        """``(kind, detail)`` when the gzip data was cut or damaged, else None."""
        return None if self._gunzip is None else self._gunzip.error

    def position(self) -> int | None:
        """Bytes read so far from the file under the input (its compressed bytes for gzip), for
        progress against the file's size; None for stdin and for streams passed in."""
        try:
            return self._owned.tell() if self._owned is not None else None
        except (OSError, ValueError):
            return None

    @property
    def regular_file(self) -> bool:
        """Whether the bytes come from a regular file opened here: reading ahead never waits for
        a writer (as it would on standard input, a pipe or a followed stream)."""
        if self._owned is None:
            return False
        try:
            return stat.S_ISREG(os.fstat(self._owned.fileno()).st_mode)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        """Close the underlying file when this object opened it."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> OpenedInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_input(spec: str | os.PathLike[str] | BinaryIO, *, source: str | None = None) -> OpenedInput:
    """Open one input: ``-`` for stdin, a path, ``path@group``, or an already open binary stream.

    Gzip data is recognised by its magic bytes (whatever the file is called) and decompressed on
    the fly. Opening reads the first bytes of the input, so on a pipe it waits until some arrive.

    Args:
        spec: the input spec, or a binary stream (left open by `OpenedInput.close`).
        source: the name to report for a stream (default: its ``name`` attribute or ``<stream>``).

    Returns:
        The `OpenedInput`.

    Raises:
        InputError: the input is missing, a directory, or cannot be read.
    """
    group = None
    owned = None
    if isinstance(spec, (str, os.PathLike)):
        path, group = parse_input_spec(os.fspath(spec))
        if path == "-":
            name, raw = STDIN_NAME, sys.stdin.buffer
        else:
            name = path
            try:
                raw = owned = open(path, "rb")  # noqa: SIM115 -- closed by OpenedInput.close
            except FileNotFoundError:
                raise InputError(name, "missing", "no such file") from None
            except IsADirectoryError:
                raise InputError(name, "is-a-directory", "is a directory, not a log file") from None
            except OSError as exc:
                raise InputError(name, "unreadable", exc.strerror or str(exc)) from None
            if os.path.isdir(path):  # platforms where open() of a directory succeeds
                owned.close()
                raise InputError(name, "is-a-directory", "is a directory, not a log file")
    else:
        raw = spec
        name = source or str(getattr(spec, "name", "") or "<stream>")
    try:
        read = _read_function(raw)
        prefix = b""
        while len(prefix) < len(GZIP_MAGIC):
            data = read(CHUNK)
            if not data:
                break
            prefix += data
    except OSError as exc:
        if owned is not None:
            owned.close()
        kind = "is-a-directory" if isinstance(exc, IsADirectoryError) else "unreadable"
        raise InputError(name, kind, exc.strerror or str(exc)) from None
    base = _Prefixed(prefix, read)
    if prefix.startswith(GZIP_MAGIC):
        gunzip = _Gunzip(base.read)
        return OpenedInput(name, io.BufferedReader(gunzip, CHUNK), group, True, gunzip, owned)
    return OpenedInput(name, io.BufferedReader(base, CHUNK), group, False, None, owned, base)


def _waiting(stream: Any) -> Callable[[], bool] | None:
    """For a pipe or terminal, a test for bytes ready to read at once; None for a regular file."""
    try:
        fd = stream.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        import select

        select.select([fd], [], [], 0)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return lambda: bool(select.select([fd], [], [], 0)[0])


