"""CloudTrail log file integrity validation on a local copy of a trail's S3 archive.

CloudTrail delivers, next to the log files (``AWSLogs/<account>/CloudTrail/...``), one digest file
per hour and region (``AWSLogs/<account>/CloudTrail-Digest/...``; organization trails add an
``o-...`` level after ``AWSLogs/``, a bucket prefix may come before it). A digest lists the log
files delivered in its hour with the SHA-256 of their uncompressed content, and points to the
previous digest with the SHA-256 of that digest's uncompressed content and its signature. The
digest's own signature (RSA PKCS#1 v1.5 over SHA-256) is kept in the S3 object's metadata
(``x-amz-meta-signature``), which a plain copy loses. Sources: CloudTrail User Guide, "CloudTrail
digest file structure" and "Custom implementations of CloudTrail log file integrity validation";
the AWS CLI's ``cloudtrail validate-logs`` (``awscli/customizations/cloudtrail/validation.py``),
whose checks, order (newest digest first, chain by chain) and wording this module follows.

`validate_archive` does the AWS CLI's check offline: local files are matched to S3 keys by their
path from ``AWSLogs/`` on. Beyond what the CLI checks, it also compares each previous digest's hash
(``previousDigestHashValue``), so a modified digest is found without signatures, and it flags log
files that no digest lists inside an hour that a digest covers (added after delivery).

`is_digest_path`, `is_digest_document` and `is_digest_file` recognise digest files, which are not
log events. Hashing streams the inflation in bounded memory. Imports the standard library (and
orjson); `cryptography` only when signatures are checked.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "ArchiveReport",
    "FileResult",
    "HashingStream",
    "KeysError",
    "hash_log_file",
    "is_archive_log",
    "is_digest_document",
    "is_digest_file",
    "is_digest_path",
    "load_public_keys",
    "load_signatures",
    "log_key_tail",
    "validate_archive",
]

# Size of one read, and the most one inflation step may produce (bounded memory on any input).
CHUNK: Final = 256 * 1024
# A digest file is parsed whole; none is near this size (an hour's list of log files).
MAX_DIGEST_BYTES: Final = 256 * 1024 * 1024

_ORG: Final = r"(?:(?P<org>o-[a-z0-9]{10,32})/)?"
# Key paths from `AWSLogs/` on (CloudTrail User Guide; the AWS CLI's `_create_digest_key_regex`).
_DIGEST_TAIL_RE: Final = re.compile(
    r"AWSLogs/" + _ORG + r"(?P<account>\d{12})/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P=account)_CloudTrail-Digest_(?P=region)_(?P<trail>.+)_(?P<home>[a-z0-9-]+)_"
    r"(?P<stamp>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz"
)
_LOG_TAIL_RE: Final = re.compile(
    r"AWSLogs/" + _ORG + r"(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json\.gz"
)
# Keys every digest carries (the AWS CLI's `required_digest_keys`), and the shape test for readers.
REQUIRED_DIGEST_KEYS: Final = (
    "digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature",
    "digestEndTime", "digestStartTime",
)
_DIGEST_SHAPE_KEYS: Final = ("digestS3Object", "logFiles")
_DIGEST_HINT_RE: Final = re.compile(rb'"digestS3Object"\s*:')

DISPLAY_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


# --------------------------------------------------------------------------- recognition


def log_key_tail(path_or_key: str) -> str | None:
    """The part of a local path or S3 key from ``AWSLogs/`` on (``/`` separated), or None."""
    parts = path_or_key.replace(os.sep, "/").split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "AWSLogs":
            return "/".join(parts[i:])
    return None


def is_digest_path(path: str) -> bool:
    """Whether a path (or S3 key) names a CloudTrail digest file by its place and name."""
    tail = log_key_tail(str(path))
    return tail is not None and _DIGEST_TAIL_RE.fullmatch(tail) is not None


def is_archive_log(path: str) -> bool:
    """Whether a path (or S3 key) names a CloudTrail log file of an S3 archive."""
    tail = log_key_tail(str(path))
    return tail is not None and _LOG_TAIL_RE.fullmatch(tail) is not None


def is_digest_document(obj: Any) -> bool:
    """Whether a parsed JSON value is a CloudTrail digest (it has the digest's keys)."""
    return isinstance(obj, dict) and all(k in obj for k in _DIGEST_SHAPE_KEYS)


def is_digest_file(path: str) -> bool:
    """Whether a file is a CloudTrail digest: by its path, else by its content's keys.

    Looks at most at the first `CHUNK` inflated bytes; a file that cannot be read is not one.
    """
    if is_digest_path(path):
        return True
    if not os.path.isfile(path):  # a pipe is not read here: its bytes belong to the reader
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(CHUNK)
    except OSError:
        return False
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, CHUNK)
        except zlib.error:
            return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"{") or not _DIGEST_HINT_RE.search(head):
        return False
    first = head.split(b"\n", 1)[0]
    import orjson  # here: reading logs loads this module, and most inputs are no JSON digest

    try:
        return is_digest_document(orjson.loads(first))
    except orjson.JSONDecodeError:
        # Pretty-printed or longer than the head: the hint and the other keys decide.
        return b'"digestPublicKeyFingerprint"' in head or b'"previousDigestS3Object"' in head


# --------------------------------------------------------------------------- hashing


@dataclass(slots=True)
class Hashed:
    """The SHA-256 of a file's uncompressed content, or why it has none (AWS CLI wording)."""

    hexdigest: str | None
    error: str | None = None
    content: bytes | None = None


def _inflate(read: Callable[[int], bytes], sha: Any, keep: bool, limit: int) -> Hashed:
    """Inflate one gzip member from `read`, hashing as it goes; `keep` also returns the content."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    kept: list[bytes] = []
    size = 0
    try:
        while not inflater.eof:
            chunk = read(CHUNK)
            if not chunk:
                return Hashed(None, "invalid format")  # cut before the end of the gzip stream
            out = inflater.decompress(chunk, CHUNK)
            while True:
                sha.update(out)
                if keep:
                    size += len(out)
                    if size > limit:
                        return Hashed(None, "invalid format")
                    kept.append(out)
                if not inflater.unconsumed_tail:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
        if inflater.unused_data or read(CHUNK):
            return Hashed(None, "unexpected data after end of compressed stream")
    except zlib.error:
        return Hashed(None, "invalid format")
    return Hashed(sha.hexdigest(), None, b"".join(kept) if keep else None)


def hash_log_file(path: str, *, keep: bool = False, limit: int = MAX_DIGEST_BYTES) -> Hashed:
    """Hash a gzip file's uncompressed content while inflating it (bounded memory).

    Errors as the AWS CLI words them: ``invalid format`` (not gzip, damaged or cut),
    ``unexpected data after end of compressed stream``; ``not found`` when it cannot be opened.
    """
    import hashlib  # here: reading logs (`cwfilter test`) loads this module without hashing

    try:
        with open(path, "rb") as fh:
            return _inflate(fh.read, hashlib.sha256(), keep, limit)
    except OSError:
        return Hashed(None, "not found")


class HashingStream:
    """A binary stream that hashes (SHA-256) everything read through it.

    Wraps the decompressed stream of an opened input, so that a run validates the log files it
    reads with the bytes it reads.
    """

    def __init__(self, stream: Any) -> None:
        import hashlib

        self._stream = stream
        self.sha = hashlib.sha256()

    def read1(self, size: int = -1) -> bytes:
        data = self._stream.read1(size)
        self.sha.update(data)
        return data

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.sha.update(data)
        return data

    def readable(self) -> bool:
        return True

    def drain(self) -> None:
        """Read (and hash) whatever the reader left unread."""
        while self.read1(CHUNK):
            pass

    def close(self) -> None:
        self._stream.close()


# --------------------------------------------------------------------------- keys and signatures


class KeysError(ValueError):
    """A public keys or signatures file that cannot be used (bad usage: exit 2)."""


def _load_json_or_lines(path: str, what: str) -> list[Any]:
    import orjson

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise KeysError(f"{what} {path}: {exc.strerror or exc}") from None
    try:
        return [orjson.loads(data)]
    except orjson.JSONDecodeError:
        pass
    docs = []
    for n, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            try:
                docs.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise KeysError(f"{what} {path}: line {n} is not JSON ({exc})") from None
    return docs


def _der_key(value: str) -> bytes:
    """The DER bytes of a ``Value`` of ``list-public-keys`` output (base64; once more if nested)."""
    der = base64.b64decode(value, validate=False)
    if der[:1] != b"\x30":  # not a DER SEQUENCE: base64 text of one
        der = base64.b64decode(der, validate=False)
    return der


def load_public_keys(paths: Iterable[str]) -> dict[str, bytes]:
    """Fingerprint -> DER PKCS#1 public key, from ``aws cloudtrail list-public-keys`` output files.

    Raises:
        KeysError: a file that is not such output, or no `cryptography` to check signatures with.
    """
    try:
        import cryptography  # noqa: F401 -- the signature check needs it
    except ImportError:
        raise KeysError("checking digest signatures needs the cryptography package: "
                        "pip install 'cwfilter[cloudtrail]'") from None
    keys: dict[str, bytes] = {}
    for path in paths:
        for doc in _load_json_or_lines(path, "public keys"):
            items = doc.get("PublicKeyList") if isinstance(doc, dict) else doc
            if not isinstance(items, list):
                raise KeysError(f"public keys {path}: expected `aws cloudtrail list-public-keys` output "
                                f"(a PublicKeyList array)")
            for i, item in enumerate(items):
                if not (isinstance(item, dict) and isinstance(item.get("Fingerprint"), str)
                        and isinstance(item.get("Value"), str)):
                    raise KeysError(f"public keys {path}: PublicKeyList[{i}] needs Fingerprint and Value")
                try:
                    keys[item["Fingerprint"]] = _der_key(item["Value"])
                except (binascii.Error, ValueError):
                    raise KeysError(f"public keys {path}: PublicKeyList[{i}].Value is not base64") from None
    return keys


def load_signatures(path: str) -> dict[str, str]:
    """Key path (from ``AWSLogs/`` on) -> hex signature.

    Accepts a JSON object mapping each digest's S3 key to its signature, or JSON lines of
    ``aws s3api head-object`` output with the key added (``Key``), whose ``Metadata.signature`` is
    the digest's ``x-amz-meta-signature``.
    """
    out: dict[str, str] = {}
    docs = _load_json_or_lines(path, "signatures")
    pairs: list[tuple[Any, Any]] = []
    if len(docs) == 1 and isinstance(docs[0], dict) and "Metadata" not in docs[0]:
        pairs = list(docs[0].items())
    else:
        for n, doc in enumerate(docs, start=1):
            if not isinstance(doc, dict):
                raise KeysError(f"signatures {path}: line {n} is not a JSON object")
            key = doc.get("Key", doc.get("key"))
            meta = doc.get("Metadata") or {}
            pairs.append((key, meta.get("signature") if isinstance(meta, dict) else None))
    for key, sig in pairs:
        if not isinstance(key, str) or not isinstance(sig, str):
            raise KeysError(f"signatures {path}: expected a key and a hex signature, got {key!r}: {sig!r}")
        out[log_key_tail(key) or key] = sig
    return out


def _verify(der: bytes, signature_hex: str, message: bytes) -> str | None:
    """None when the SHA256withRSA signature holds, else the AWS CLI's reason."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(der)
    except ValueError:
        return "Unable to load PKCS #1 key"
    try:
        signature = binascii.unhexlify(signature_hex)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return "signature verification failed"
    return None


def string_to_sign(digest: dict[str, Any], digest_sha256_hex: str) -> bytes:
    """What CloudTrail signs for a digest (User Guide "custom implementations"; the AWS CLI's
    `_create_string_to_sign`): end time, bucket/key, SHA-256 hex of the uncompressed digest and
    the previous signature (``null`` at the start of a chain), joined by newlines."""
    previous = digest.get("previousDigestSignature")
    return (f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
            f"{digest_sha256_hex}\n{'null' if previous is None else previous}").encode()


# --------------------------------------------------------------------------- the report


@dataclass(slots=True)
class FileResult:
    """One line of the report: a digest or log file, valid or INVALID (with the CLI's reason)."""

    kind: str  # "digest" or "log"
    uri: str  # s3://bucket/key, as the digests name it
    valid: bool
    reason: str | None = None
    path: str | None = None
    backfill: bool = False

    def line(self) -> str:
        prefix = "(backfill) " if self.backfill else ""
        label = "Digest file" if self.kind == "digest" else "Log file"
        status = "valid" if self.valid else f"INVALID: {self.reason}"
        return f"{prefix}{label}\t{self.uri}\t{status}"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "backfill": self.backfill, "s3": self.uri, "path": self.path,
                "status": "valid" if self.valid else "INVALID", "reason": self.reason}


@dataclass(slots=True)
class ArchiveReport:
    """What `validate_archive` found. `ok` is True when everything checked is valid."""

    requested_start: dt.datetime | None = None
    requested_end: dt.datetime | None = None
    found_start: dt.datetime | None = None
    found_end: dt.datetime | None = None
    results: list[FileResult] = field(default_factory=list)
    gaps: list[tuple[str, dt.datetime, dt.datetime, bool]] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)
    signatures_checked: bool = False
    files_seen: int = 0
    #: (kind, backfill) -> [valid, invalid]; exact even when valid results are not kept.
    counts: dict[tuple[str, bool], list[int]] = field(default_factory=dict)

    def add(self, result: FileResult, keep: bool = True) -> None:
        """Count `result`; keep it in `results` when INVALID or `keep`."""
        counts = self.counts.setdefault((result.kind, result.backfill), [0, 0])
        counts[0 if result.valid else 1] += 1
        if keep or not result.valid:
            self.results.append(result)

    def count(self, kind: str, backfill: bool | None = None) -> tuple[int, int]:
        """``(valid, invalid)`` of one kind of file."""
        valid = invalid = 0
        for (k, b), (v, i) in self.counts.items():
            if k == kind and (backfill is None or b == backfill):
                valid += v
                invalid += i
        return valid, invalid

    @property
    def digests_found(self) -> bool:
        return sum(self.count("digest")) > 0

    @property
    def ok(self) -> bool:
        return self.digests_found and not any(i for _, i in self.counts.values())

    def summary_lines(self) -> list[str]:
        """The summary, worded as the AWS CLI's (``N/M digest files valid``), plus what a copy adds."""
        def show(t: dt.datetime | None, default: str) -> str:
            return t.strftime(DISPLAY_FORMAT) if t is not None else default

        lines = [(f"Results requested for {show(self.requested_start, 'the start of the copy')} to "
                 f"{show(self.requested_end, 'the end of the copy')}")]
        if not self.digests_found:
            lines.append("No digests found")
        else:
            if self.found_start is None or self.found_end is None:
                lines.append("No valid digests found in range")
            else:
                lines.append(f"Results found for {show(self.found_start, '')} to {show(self.found_end, '')}:")
            lines.append("")
            for name, kind, backfill in (("digest", "digest", False), ("backfill digest", "digest", True),
                                         ("log", "log", None)):
                valid, invalid = self.count(kind, backfill)
                total = valid + invalid
                if total:
                    lines.append(f"{valid}/{total} {name} files valid"
                                 + (f", {invalid}/{total} {name} files INVALID" if invalid else ""))
        if self.not_covered:
            lines.append(f"{len(self.not_covered)} log files not covered by any digest in the copy "
                         f"(validation was off, or their digest is not in the copy)")
        if not self.signatures_checked:
            lines.append("Digest signatures were not checked (they are kept in S3 object metadata: "
                         "`cwfilter validate-logs --public-keys --signatures` checks them)")
        return lines

    @property
    def status(self) -> str:
        """``complete and unmodified``, ``INCOMPLETE OR MODIFIED`` or ``not validated`` (no digest)."""
        if not self.digests_found:
            return "not validated (no digest files among the inputs)"
        return "complete and unmodified" if self.ok else "INCOMPLETE OR MODIFIED"

    def run_summary(self) -> dict[str, Any]:
        """What a run's summary says about the archive it read (the INVALID files named)."""
        doc = self.as_dict()
        doc.pop("results")
        doc["status"] = self.status
        doc["summary"] = [line for line in self.summary_lines()[1:] if line and not line.startswith("Results")]
        doc["invalid"] = [r.as_dict() for r in self.results if not r.valid]
        doc["invalidLines"] = [r.line() for r in self.results if not r.valid]
        return doc

    def as_dict(self) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            return t.strftime(DISPLAY_FORMAT) if t is not None else None

        dv, di = self.count("digest", False)
        bv, bi = self.count("digest", True)
        lv, li = self.count("log")
        return {
            "valid": self.ok,
            "requested": {"start": iso(self.requested_start), "end": iso(self.requested_end)},
            "found": {"start": iso(self.found_start), "end": iso(self.found_end)},
            "digestFiles": {"valid": dv, "invalid": di},
            "backfillDigestFiles": {"valid": bv, "invalid": bi},
            "logFiles": {"valid": lv, "invalid": li},
            "notCovered": list(self.not_covered),
            "gaps": [{"chain": c, "from": iso(a), "to": iso(b), "backfill": bf} for c, a, b, bf in self.gaps],
            "signaturesChecked": self.signatures_checked,
            "results": [r.as_dict() for r in self.results],
        }


# --------------------------------------------------------------------------- validation


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _stamp(text: str) -> dt.datetime:
    fmt = "%Y%m%dT%H%M%SZ" if len(text) == 16 else "%Y%m%dT%H%MZ"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)


def _walk(paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name)
        else:
            yield path


@dataclass(slots=True)
class _Digest:
    tail: str
    path: str
    prefix: str  # the local path before AWSLogs/ (the copy's bucket and prefix)
    chain: tuple[str, ...]
    area: tuple[str, ...]  # prefix, org, account, region: where its log files live
    stamp: dt.datetime
    backfill: bool


def validate_archive(
    paths: Iterable[str],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    public_keys: dict[str, bytes] | None = None,
    signatures: dict[str, str] | None = None,
    known_hashes: dict[str, Hashed] | None = None,
    keep_valid: bool = True,
    on_result: Callable[[FileResult], None] | None = None,
    on_gap: Callable[[str], None] | None = None,
) -> ArchiveReport:
    """Validate a local copy of a CloudTrail archive as ``aws cloudtrail validate-logs`` does in S3.

    Args:
        paths: files and folders (walked) of the copy.
        start, end: only digests whose time (in their key) lies in ``[start, end + 1 h]`` (the
            CLI's range), and their log files.
        public_keys: fingerprint -> DER key (`load_public_keys`); with `signatures`, each digest's
            signature is verified.
        signatures: key path from ``AWSLogs/`` -> hex signature (`load_signatures`).
        known_hashes: local path -> `Hashed`, for log files already hashed while read (a run).
        keep_valid: keep valid results in the report (else only counted: memory stays bounded by
            the INVALID files on a large archive).
        on_result: called with each result as it is decided (streaming output).
        on_gap: called with each gap message.

    Returns:
        The `ArchiveReport`. Results are ordered chain by chain, newest digest first (whatever the
        order of `paths`), each digest followed by its log files.
    """
    report = ArchiveReport(requested_start=start, requested_end=end)
    check_signatures = public_keys is not None and signatures is not None
    report.signatures_checked = check_signatures
    known = known_hashes or {}
    digests: dict[str, _Digest] = {}
    logs: dict[str, str] = {}  # tail -> local path
    for path in _walk(paths):
        report.files_seen += 1
        tail = log_key_tail(path)
        if tail is None:
            continue
        local_prefix = path.replace(os.sep, "/")[: -len(tail)]
        m = _DIGEST_TAIL_RE.fullmatch(tail)
        if m is not None:
            area = (local_prefix, m["org"] or "", m["account"], m["region"])
            digests[tail] = _Digest(tail, path, local_prefix, (*area, m["trail"], m["home"]), area,
                                    _stamp(m["stamp"]), m["backfill"] is not None)
        elif _LOG_TAIL_RE.fullmatch(tail) is not None:
            logs[tail] = path

    def emit(result: FileResult) -> None:
        report.add(result, keep_valid)
        if on_result is not None:
            on_result(result)

    listed: set[str] = set()
    area_bucket: dict[tuple[str, ...], str] = {}  # area -> "bucket/prefix/" of its digests
    # area -> [(start, end)] of the hours the present digests cover (for unlisted log files).
    covered: dict[tuple[str, ...], list[tuple[dt.datetime, dt.datetime]]] = {}
    chains: dict[tuple[Any, ...], list[_Digest]] = {}
    for d in digests.values():
        if start is not None and d.stamp < start:
            continue
        if end is not None and d.stamp > end + dt.timedelta(hours=1):
            continue
        chains.setdefault((*d.chain, d.backfill), []).append(d)

    import orjson

    def load(d: _Digest) -> tuple[Hashed, dict[str, Any] | None]:
        hashed = hash_log_file(d.path, keep=True)
        doc = None
        if hashed.content is not None:
            try:
                doc = orjson.loads(hashed.content)
            except orjson.JSONDecodeError:
                doc = None
            hashed.content = None
        return hashed, doc if isinstance(doc, dict) else None

    for chain_key in sorted(chains):
        chain = sorted(chains[chain_key], key=lambda d: (d.stamp, d.tail), reverse=True)
        backfill = chain_key[-1]
        chain_name = "/".join(p for p in chain_key[1:-1] if p)
        # Expected hash of a digest, from its successor's previousDigestHashValue.
        expected: dict[str, tuple[str, str]] = {}
        bucket_of: dict[str, str] = {}
        for i, d in enumerate(chain):
            hashed, doc = load(d)
            bucket = bucket_of.get(d.tail, "")
            reason = None
            if doc is None or hashed.hexdigest is None or any(k not in doc for k in REQUIRED_DIGEST_KEYS):
                reason = "invalid format"
            else:
                bucket = doc["digestS3Bucket"] if isinstance(doc["digestS3Bucket"], str) else bucket
                if log_key_tail(str(doc["digestS3Object"])) != d.tail:
                    reason = "has been moved from its original location"
                elif d.tail in expected and expected[d.tail][1] != hashed.hexdigest:
                    reason = "hash value doesn't match"
                elif check_signatures:
                    reason = _check_signature(doc, hashed.hexdigest, d.tail, public_keys or {},
                                              signatures or {}, chain_key[-2])
            # Named by its key in S3; a moved digest by where it was found.
            key = d.tail
            if doc is not None and isinstance(doc.get("digestS3Object"), str):
                key = doc["digestS3Object"]
                where = log_key_tail(key)
                key_prefix = key[: len(key) - len(where)] if where is not None else ""
                if reason == "has been moved from its original location":
                    key = key_prefix + d.tail
                elif bucket:
                    area_bucket[d.area] = f"{bucket}/{key_prefix}"
            uri = f"s3://{bucket}/{key}"
            valid = reason is None
            emit(FileResult("digest", uri, valid, reason, d.path, backfill))
            if doc is None:
                continue
            d_start, d_end = _time(doc.get("digestStartTime")), _time(doc.get("digestEndTime"))
            if d_start is not None and d_end is not None:
                covered.setdefault(d.area, []).append((d_start, d_end))
            files = doc.get("logFiles") if isinstance(doc.get("logFiles"), list) else []
            for entry in files:
                if isinstance(entry, dict) and isinstance(entry.get("s3Object"), str):
                    t = log_key_tail(entry["s3Object"])
                    if t is not None:
                        listed.add(t)
            if valid:
                if d_start is not None and (report.found_start is None or
                                            max(d_start, start or d_start) < report.found_start):
                    report.found_start = max(d_start, start or d_start)
                if d_end is not None and (report.found_end is None or
                                          min(d_end, end or d_end) > report.found_end):
                    report.found_end = min(d_end, end or d_end)
                for entry in files:
                    emit(_check_log(entry, logs, known))
            # The chain: the previous digest must be in the copy, with the hash this one holds.
            prev_key, prev_hash = doc.get("previousDigestS3Object"), doc.get("previousDigestHashValue")
            earlier = chain[i + 1] if i + 1 < len(chain) else None
            if prev_key is None or doc.get("previousDigestS3Bucket") is None:
                if earlier is not None and d_start is not None:
                    message = (f"{'(backfill) ' if backfill else ''}No log files were delivered by CloudTrail "
                               f"between {earlier.stamp.strftime(DISPLAY_FORMAT)} and "
                               f"{d_start.strftime(DISPLAY_FORMAT)}")
                    report.gaps.append((chain_name, earlier.stamp, d_start, backfill))
                    if on_gap is not None:
                        on_gap(message)
                continue
            prev_tail = log_key_tail(str(prev_key))
            if prev_tail is None:
                continue
            bucket_of[prev_tail] = str(doc.get("previousDigestS3Bucket"))
            if isinstance(prev_hash, str):
                expected[prev_tail] = (d.tail, prev_hash)
            if prev_tail in digests:
                continue
            m = _DIGEST_TAIL_RE.fullmatch(prev_tail)
            prev_stamp = _stamp(m["stamp"]) if m else None
            # Required when it falls inside the range asked for (or after the oldest digest of
            # the copy, when no start is given: a copy has to start somewhere).
            first = start if start is not None else chain[-1].stamp
            if prev_stamp is not None and (prev_stamp >= first if start is not None else prev_stamp > first):
                emit(FileResult("digest", f"s3://{doc.get('previousDigestS3Bucket')}/{prev_key}", False,
                                "not found", None, backfill))

    # Log files no digest lists.
    spans: dict[tuple[str, ...], list[tuple[dt.datetime, dt.datetime]]] = covered
    for tail in sorted(logs):
        if tail in listed:
            continue
        m = _LOG_TAIL_RE.fullmatch(tail)
        assert m is not None
        t = _stamp(m["stamp"])
        if (start is not None and t < start) or (end is not None and t > end):
            continue
        local = logs[tail].replace(os.sep, "/")
        area = (local[: -len(tail)], m["org"] or "", m["account"], m["region"])
        if _covered(t, spans.get(area, [])):
            emit(FileResult("log", f"s3://{area_bucket.get(area, '')}{tail}", False,
                            "not listed in the digest of its hour (added after delivery)", logs[tail]))
        else:
            report.not_covered.append(logs[tail])
    return report


def _covered(t: dt.datetime, spans: list[tuple[dt.datetime, dt.datetime]]) -> bool:
    """Whether the minute `t` (a log file name's delivery time) lies in an hour digests cover.

    Inside a digest's span, it is covered; in the minute where one digest ends and another starts
    it is covered when both are present; at the edge of a lone digest it may belong to the hour
    next to it, which no present digest covers.
    """
    def minute(x: dt.datetime) -> dt.datetime:
        return x.replace(second=0, microsecond=0)

    edges = 0
    for a, b in spans:
        lo, hi = minute(a), minute(b)
        if lo < t < hi:
            return True
        if t in (lo, hi):
            edges += 1
    return edges >= 2


def _check_signature(doc: dict[str, Any], digest_hex: str, tail: str, keys: dict[str, bytes],
                     signatures: dict[str, str], home_region: str) -> str | None:
    fingerprint = doc.get("digestPublicKeyFingerprint")
    if fingerprint not in keys:
        return f"public key not found in region {home_region} for fingerprint {fingerprint}"
    signature = signatures.get(tail)
    if signature is None:
        return "signature verification failed"
    reason = _verify(keys[fingerprint], signature, string_to_sign(doc, digest_hex))
    if reason == "Unable to load PKCS #1 key":
        return f"Unable to load PKCS #1 key with fingerprint {fingerprint}"
    return reason


def _check_log(entry: Any, logs: dict[str, str], known: dict[str, Hashed]) -> FileResult:
    if not isinstance(entry, dict) or not isinstance(entry.get("s3Object"), str):
        return FileResult("log", "s3://?", False, "invalid format")
    uri = f"s3://{entry.get('s3Bucket')}/{entry['s3Object']}"
    tail = log_key_tail(entry["s3Object"])
    path = logs.get(tail) if tail is not None else None
    if path is None:
        return FileResult("log", uri, False, "not found")
    hashed = known.get(path) or hash_log_file(path)
    if hashed.hexdigest is None:
        return FileResult("log", uri, False, hashed.error, path)
    if hashed.hexdigest != entry.get("hashValue"):
        return FileResult("log", uri, False, "hash value doesn't match", path)
    return FileResult("log", uri, True, None, path)
