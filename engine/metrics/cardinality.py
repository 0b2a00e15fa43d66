"""The dimension cardinality guard: what the service may do to a filter with too many dimension values.

CloudWatch Logs may disable a metric filter that produces 1,000 distinct dimension name/value
pairs within an hour (PutMetricFilter; ../shared/spec/filter-patterns.md, "Cardinality guard").
`CardinalityGuard` counts, per filter and per clock hour of event time, the distinct pairs its
events carry; when a filter passes the limit in an hour it records a `Trip`, and in ``disable``
mode drops the filter's samples from that event's time on, as the service may.

Memory is bounded: at most `LIMIT` pairs are kept per filter and hour; past that only the trip is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LIMIT = 1000
HOUR_MS = 3_600_000
MODES = ("warn", "disable", "off")


@dataclass(frozen=True, slots=True)
class Trip:
    """A filter that passed the limit: its name, log group, the hour (epoch ms) and the event time."""

    filter_name: str
    log_group: str | None
    hour_ms: int
    at_ms: int

    def as_json(self) -> dict:
        from .pipeline import iso

        return {"filterName": self.filter_name, "logGroupName": self.log_group, "hour": iso(self.hour_ms),
                "at": iso(self.at_ms), "distinctPairs": f"more than {LIMIT:,}"}

    def message(self, mode: str) -> str:
        from .pipeline import iso

        then = ("its metrics are dropped from then on, as the service may disable it" if mode == "disable"
                else "the service may disable it")
        return (f"filter '{self.filter_name}' made more than {LIMIT:,} distinct dimension name/value pairs "
                f"in the hour from {iso(self.hour_ms)} (passed at {iso(self.at_ms)}): {then}")


class CardinalityGuard:
    """Counts distinct dimension name/value pairs per filter and hour of event time.

    Args:
        mode: ``warn`` (record trips), ``disable`` (also drop the filter's samples from the trip's
            event time on) or ``off``.
    """

    def __init__(self, mode: str = "warn") -> None:
        if mode not in MODES:
            raise ValueError(f"--cardinality-guard takes {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self._pairs: dict[tuple[int, int], set] = {}
        self._tripped: set[tuple[int, int]] = set()
        self._disabled_from: dict[int, int] = {}
        self.trips: list[Trip] = []

    def admit(self, f: Any, dims: tuple, ts: int) -> bool:
        """Count the event's pairs; False when the filter's sample is to be dropped."""
        fid = id(f)
        since = self._disabled_from.get(fid)
        if since is not None and ts >= since:
            return False
        hour = ts - ts % HOUR_MS
        key = (fid, hour)
        if key in self._tripped:
            return True
        pairs = self._pairs.get(key)
        if pairs is None:
            pairs = self._pairs[key] = set()
        pairs.update(dims)
        if len(pairs) > LIMIT:
            del self._pairs[key]
            self._tripped.add(key)
            self.trips.append(Trip(f.name, f.log_group, hour, ts))
            if self.mode == "disable":
                self._disabled_from[fid] = min(ts, self._disabled_from.get(fid, ts))
                return False
        return True

    def summary(self) -> list[dict]:
        return [t.as_json() for t in sorted(self.trips, key=lambda t: (t.hour_ms, t.filter_name))]
