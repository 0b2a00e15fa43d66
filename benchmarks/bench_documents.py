"""Document inputs are read as a stream: 10x the records, the same peak memory.

A CloudTrail log file (``{"Records": [...]}``) of N records and one of 10 N are generated lazily (a
stream that writes the document as it is read, so the input itself takes no memory) and read with
`read_events`; peak memory is measured with `tracemalloc`. The larger read may use at most 1.5
times the smaller one's peak. The document bound is lowered so that both documents are over it
and walked record by record, the path every larger real file takes. The format is given, so
that what is measured is the reading (sniffing looks at most at the first MiB of an input).

Run: ``pytest benchmarks/bench_documents.py --benchmark-only -s`` (200,000 vs 20,000 records).
With ``--benchmark-disable`` (the normal suite) it reads 20,000 vs 2,000 records and still
asserts the ratio.
"""

from __future__ import annotations

import gc
import io
import json
import tracemalloc

from cwfilter.engine.inputs import payloads
from cwfilter.engine.inputs.readers import InputStats, read_events

MAX_RATIO = 1.5


class _Trail(io.RawIOBase):
    """A CloudTrail log file of `n` records, produced as it is read."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.i = 0
        self.pending = b'{"Records":['

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer) and self.i <= self.n:
            if self.i == self.n:
                self.pending += b"]}"
            else:
                record = {"eventVersion": "1.08", "eventTime": "2024-05-01T12:00:00Z", "eventName": "GetObject",
                          "eventSource": "s3.amazonaws.com", "requestID": f"req-{self.i}", "n": self.i}
                self.pending += (b"," if self.i else b"") + json.dumps(record).encode()
            self.i += 1
        k = min(len(buffer), len(self.pending))
        buffer[:k] = self.pending[:k]
        self.pending = self.pending[k:]
        return k


def _peak(n: int) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        stats = InputStats()
        count = sum(1 for _ in read_events(io.BufferedReader(_Trail(n)), fmt="cloudtrail",
                                                stats=stats, source="trail"))
        return tracemalloc.get_traced_memory()[1], count
    finally:
        tracemalloc.stop()


def test_document_memory_is_flat(benchmark, monkeypatch):
    monkeypatch.setattr(payloads, "MAX_DOCUMENT_BYTES", 64 * 1024)
    full = not benchmark.disabled
    small = 20_000 if full else 2_000
    _peak(small)  # once first: one-time allocations (caches, lazy imports) are not the reading's
    peak_small, n_small = _peak(small)
    peak_large, n_large = benchmark.pedantic(_peak, args=(small * 10,), rounds=1, iterations=1) if full \
        else _peak(small * 10)
    assert (n_small, n_large) == (small, small * 10)
    ratio = peak_large / peak_small
    print(f"\npeak {peak_small / 1e6:.1f} MB for {small:,} records, {peak_large / 1e6:.1f} MB for "
          f"{small * 10:,}: ratio {ratio:.2f} (at most {MAX_RATIO})")
    assert ratio <= MAX_RATIO
