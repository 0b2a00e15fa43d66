"""Build a CloudTrail S3 archive on disk, as CloudTrail delivers it with log file validation on.

Log files (``{"Records": [...]}``, gzip) and one digest per hour and region, chained and signed
with a test RSA key the way CloudTrail signs them (CloudTrail User Guide, "CloudTrail digest file
structure" and "Custom implementations of CloudTrail log file integrity validation"): SHA256withRSA
over ``digestEndTime\\nbucket/key\\nhex(SHA-256(uncompressed digest))\\nprevious signature``. The
signatures (S3 metadata in real life) are returned next to the files, with the public key as
``aws cloudtrail list-public-keys`` prints it.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import gzip
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

FMT = "%Y-%m-%dT%H:%M:%SZ"
START = dt.datetime(2026, 3, 1, 0, 3, 12, tzinfo=dt.UTC)
EVENTS = ("ConsoleLogin", "DescribeInstances", "GetObject", "AssumeRole", "PutBucketPolicy", "CreateUser")


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_key_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def fingerprint(key: rsa.RSAPrivateKey) -> str:
    return hashlib.md5(public_key_der(key)).hexdigest()


def list_public_keys(key: rsa.RSAPrivateKey) -> dict:
    """The key as `aws cloudtrail list-public-keys` prints it."""
    return {"PublicKeyList": [{
        "Value": base64.b64encode(public_key_der(key)).decode(),
        "ValidityStartTime": "2026-01-01T00:00:00Z",
        "ValidityEndTime": "2027-01-01T00:00:00Z",
        "Fingerprint": fingerprint(key),
    }]}


def sign(key: rsa.RSAPrivateKey, digest: dict, raw: bytes) -> str:
    previous = digest["previousDigestSignature"]
    message = (f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
               f"{hashlib.sha256(raw).hexdigest()}\n{'null' if previous is None else previous}").encode()
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


@dataclass
class Archive:
    root: Path  # the copy's top folder (the bucket's folder is in it)
    bucket: str
    logs: list[Path] = field(default_factory=list)
    digests: list[Path] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)  # S3 key -> hex signature
    records: int = 0

    def key(self, path: Path) -> str:
        """The S3 key of a file of the copy."""
        return path.relative_to(self.root / self.bucket).as_posix()


def _record(rng: random.Random, account: str, region: str, when: dt.datetime) -> dict:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": account, "userName": rng.choice(["alice", "bob"])},
        "eventTime": when.strftime(FMT),
        "eventSource": "ec2.amazonaws.com",
        "eventName": rng.choice(EVENTS),
        "awsRegion": region,
        "sourceIPAddress": f"192.0.2.{rng.randrange(1, 255)}",
        "eventID": f"{rng.getrandbits(64):016x}",
        "recipientAccountId": account,
    }


def build_archive(
    root: Path,
    *,
    bucket: str = "amzn-s3-demo-bucket",
    prefix: str = "",
    org: str | None = None,
    account: str = "111122223333",
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1"),
    home: str = "us-east-1",
    trail: str = "management-events",
    hours: int = 4,
    files_per_hour: int = 3,
    records_per_file: int = 40,
    record_bytes: int = 0,
    seed: int = 7,
    key: rsa.RSAPrivateKey | None = None,
) -> Archive:
    """Write the archive under ``root/bucket/prefix/AWSLogs/...``; return what was written."""
    key = key or signing_key()
    rng = random.Random(seed)
    archive = Archive(root, bucket)
    base = f"{prefix.strip('/')}/" if prefix else ""
    org_part = f"{org}/" if org else ""
    for region in regions:
        previous: dict | None = None
        for h in range(hours):
            d_start = START + dt.timedelta(hours=h)
            d_end = d_start + dt.timedelta(hours=1)
            log_entries = []
            for j in range(files_per_hour):
                delivered = d_start + dt.timedelta(minutes=7 + 15 * j)
                day = delivered.strftime("%Y/%m/%d")
                name = (f"{account}_CloudTrail_{region}_{delivered.strftime('%Y%m%dT%H%MZ')}_"
                        f"{rng.getrandbits(64):016X}.json.gz")
                key_path = f"{base}AWSLogs/{org_part}{account}/CloudTrail/{region}/{day}/{name}"
                times = sorted(delivered - dt.timedelta(seconds=rng.randrange(60, 600))
                               for _ in range(records_per_file))
                records = [_record(rng, account, region, t) for t in times]
                if record_bytes:
                    for r in records:
                        r["requestParameters"] = {"padding": "x" * record_bytes}
                raw = json.dumps({"Records": records}, separators=(",", ":")).encode()
                path = root / bucket / key_path
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(gzip.compress(raw, mtime=0))
                archive.logs.append(path)
                archive.records += len(records)
                log_entries.append({
                    "s3Bucket": bucket, "s3Object": key_path,
                    "hashValue": hashlib.sha256(raw).hexdigest(), "hashAlgorithm": "SHA-256",
                    "newestEventTime": times[-1].strftime(FMT), "oldestEventTime": times[0].strftime(FMT),
                })
            digest_key = (f"{base}AWSLogs/{org_part}{account}/CloudTrail-Digest/{region}/"
                          f"{d_end.strftime('%Y/%m/%d')}/{account}_CloudTrail-Digest_{region}_{trail}_{home}_"
                          f"{d_end.strftime('%Y%m%dT%H%M%SZ')}.json.gz")
            digest = digest_document(
                account, d_start, d_end, bucket, digest_key, fingerprint(key), log_entries, previous,
            )
            raw = json.dumps(digest, separators=(",", ":")).encode()
            signature = sign(key, digest, raw)
            path = root / bucket / digest_key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(raw, mtime=0))
            archive.digests.append(path)
            archive.signatures[digest_key] = signature
            previous = {"bucket": bucket, "key": digest_key, "hash": hashlib.sha256(raw).hexdigest(),
                        "signature": signature}
    return archive


def digest_document(account: str, start: dt.datetime, end: dt.datetime, bucket: str, key: str, fp: str,
                    log_entries: list[dict], previous: dict | None) -> dict:
    """A digest with the fields, in the order, of the CloudTrail User Guide's sample."""
    return {
        "awsAccountId": account,
        "digestStartTime": start.strftime(FMT),
        "digestEndTime": end.strftime(FMT),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fp,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": log_entries[-1]["newestEventTime"] if log_entries else None,
        "oldestEventTime": log_entries[0]["oldestEventTime"] if log_entries else None,
        "previousDigestS3Bucket": previous and previous["bucket"],
        "previousDigestS3Object": previous and previous["key"],
        "previousDigestHashValue": previous and previous["hash"],
        "previousDigestHashAlgorithm": previous and "SHA-256",
        "previousDigestSignature": previous and previous["signature"],
        "logFiles": log_entries,
    }


def write_digest(archive: Archive, key: str, digest: dict, *, sign_with: rsa.RSAPrivateKey | None = None) -> Path:
    """Add a digest (signed with the test key unless told) at `key` of the archive."""
    raw = json.dumps(digest, separators=(",", ":")).encode()
    path = archive.root / archive.bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw, mtime=0))
    archive.digests.append(path)
    archive.signatures[key] = sign(sign_with or signing_key(), digest, raw)
    return path


def write_keys_and_signatures(archive: Archive, where: Path, *, as_head_object: bool = False) -> tuple[Path, Path]:
    """The public keys file and the signatures file a user would export with the AWS CLI."""
    keys = where / "public-keys.json"
    keys.write_text(json.dumps(list_public_keys(signing_key()), indent=4))
    sigs = where / ("signatures.jsonl" if as_head_object else "signatures.json")
    if as_head_object:
        sigs.write_text("".join(
            json.dumps({"AcceptRanges": "bytes", "ContentType": "application/json", "ContentEncoding": "gzip",
                        "Metadata": {"signature": sig, "signature-algorithm": "SHA256withRSA"}, "Key": key}) + "\n"
            for key, sig in archive.signatures.items()
        ))
    else:
        sigs.write_text(json.dumps(archive.signatures, indent=2))
    return keys, sigs
