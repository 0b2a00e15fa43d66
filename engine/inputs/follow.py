"""Following a growing file or a pipe (`cwfilter run --follow`), like `tail -F`.

`FollowStream` is a binary stream whose reads wait for more data instead of ending at the end of
a regular file. It notices a file that was truncated (reads again from the start) or replaced by
a new file of the same name (log rotation: opens the new one). A pipe ends when its writer closes
it. While it waits, `on_idle` is called with the wall-clock time, so the caller can close periods
on time (DECISIONS A1: in follow mode the wall clock also advances the simulated clock).
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys
import time
from collections.abc import Callable


def now_ms() -> int:
    return int(time.time() * 1000)


class FollowStream(io.RawIOBase):
    """A readable binary stream over `path` (`-` is stdin) that follows it as it grows."""

    def __init__(
        self,
        path: str,
        on_idle: Callable[[int], None] | None = None,
        log_group: str | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__()
        self.name = "-" if path == "-" else path
        self.path = path
        self.log_group = log_group
        self.on_idle = on_idle or (lambda now: None)
        self.poll = poll_seconds
        self._file = None
        if path == "-":
            self._fd = sys.stdin.buffer.fileno()
        else:
            self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
            self._fd = self._file.fileno()
        self._regular = stat.S_ISREG(os.fstat(self._fd).st_mode)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        while True:
            if not self._regular:
                ready, _, _ = select.select([self._fd], [], [], self.poll)
                if not ready:
                    self.on_idle(now_ms())
                    continue
                data = os.read(self._fd, size)
                buffer[: len(data)] = data
                return len(data)  # 0: the writer closed the pipe
            data = os.read(self._fd, size)
            if data:
                self._pos += len(data)
                buffer[: len(data)] = data
                return len(data)
            self._check_rotation()
            self.on_idle(now_ms())
            time.sleep(self.poll)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else io.DEFAULT_BUFFER_SIZE)

    def _check_rotation(self) -> None:
        try:
            on_disk = os.stat(self.path)
        except OSError:
            return  # moved away and not yet recreated: keep waiting
        mine = os.fstat(self._fd)
        if (on_disk.st_ino, on_disk.st_dev) != (mine.st_ino, mine.st_dev):
            # Rotated: the name now points at a new file. Read it from its start.
            if self._file is not None:
                self._file.close()
            self._file = open(self.path, "rb")  # noqa: SIM115
            self._fd = self._file.fileno()
            self._pos = 0
        elif on_disk.st_size < self._pos:
            # Truncated in place (`> app.log`): start again from the beginning.
            os.lseek(self._fd, 0, os.SEEK_SET)
            self._pos = 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()
