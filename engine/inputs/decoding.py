"""Bytes to text and JSON to values, as every reader does it.

UTF-8 decoding that reports the first invalid byte and replaces it, strict JSON (no ``NaN``, no
lone surrogates) with orjson and a fallback for what orjson refuses, compact re-encoding of a
record as its message, and bounded inflation of gzip and zlib payload data (`inflate`).
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any, Final

import orjson

from .records import CHUNK, GZIP_MAGIC

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "inflate",
]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # DECISIONS P21: NaN and Infinity are not JSON


_STRICT_DECODER: Final = json.JSONDecoder(parse_constant=_no_constant)


def _loads(text: str) -> Any:
    """Parse JSON text. orjson first; the standard library for what orjson refuses but JSON allows
    (lone surrogate escapes, DECISIONS P23). Raises ValueError for anything that is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            return _STRICT_DECODER.decode(text)
        except (ValueError, RecursionError):
            raise exc from None


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _compact(obj: Any) -> str:
    """`obj` as compact JSON text, as orjson writes it."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        # Integers beyond 64 bits or lone surrogates, which orjson does not write.
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return _SURROGATE_RE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _utf8_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _decode(raw: bytes) -> tuple[str, int | None]:
    """UTF-8 text of `raw` and the offset of its first invalid byte (None when valid)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", "replace"), exc.start


# The most a decoded subscription payload can hold: a PutLogEvents batch is at most 1,048,576 bytes
# of messages (DECISIONS M6 bounds one); escaped as JSON (up to 6 bytes per byte for control
# characters) with ~100 bytes of id and timestamp per event it stays under 8 MiB. Twice that is
# allowed; more is not a real payload and is refused (a decompression bomb).
MAX_PAYLOAD_BYTES: Final = 16 * 1024 * 1024


def _is_zlib(raw: bytes) -> bool:
    return len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0


def inflate(raw: bytes, limit: int = MAX_PAYLOAD_BYTES) -> tuple[bytes | None, str | None, str | None]:
    """Decompress gzip (one or more members) or zlib data in steps, up to `limit` bytes.

    Returns:
        ``(data, kind, detail)``: `data` the bytes (None when nothing usable), `kind`/`detail` the
        problem (``oversize-payload``, ``corrupt-gzip``, ``truncated-gzip``) or None.
    """
    out: list[bytes] = []
    total = 0
    data = raw
    while True:
        z = zlib.decompressobj(47 if data[:2] == GZIP_MAGIC else zlib.MAX_WBITS)
        try:
            while data:
                piece = z.decompress(data, CHUNK)
                total += len(piece)
                if total > limit:
                    detail = f"inflates to more than {limit:,} bytes, the most a real payload holds: refused"
                    return None, "oversize-payload", detail
                out.append(piece)
                data = z.unconsumed_tail
                if z.eof:
                    break
        except zlib.error as exc:
            return None, "corrupt-gzip", f"the compressed data does not decompress ({exc})"
        if not z.eof:
            return None, "truncated-gzip", "the compressed data ends before its end marker"
        rest = z.unused_data
        if not rest.strip(b"\0"):
            return b"".join(out), None, None
        if rest[:2] != GZIP_MAGIC:
            return None, "corrupt-gzip", "data after the end of the compressed stream"
        data = rest
