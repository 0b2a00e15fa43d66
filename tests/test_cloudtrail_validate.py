"""CloudTrail archives: digest files are skipped by readers, and `cwfilter validate-logs` checks a
local copy. Archives are built at test time (tests/ctarchive.py), signed with a test RSA key the
way CloudTrail signs digests, then tampered with; every tamper is reported with the file named."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from ctarchive import (
    START,
    Archive,
    build_archive,
    digest_document,
    fingerprint,
    sign,
    signing_key,
    write_digest,
    write_keys_and_signatures,
)
from cwfilter.engine.inputs.cloudtrail_validate import (
    hash_log_file,
    is_digest_document,
    is_digest_file,
    is_digest_path,
    load_public_keys,
    load_signatures,
    string_to_sign,
    validate_archive,
)
from cwfilter.engine.inputs.readers import InputStats, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "cloudtrail"
SAMPLE = FIXTURES / "aws-docs-sample-digest.json"
EMPTY = FIXTURES / "aws-docs-empty-digest.json"
CWFILTER = Path(sys.executable).parent / "cwfilter"
ORG = "o-exampleorgid1"
PREFIX = "trails/prod"


def cli(*args: Any) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run([str(CWFILTER), *map(str, args)], check=False, capture_output=True, env=env,
                          timeout=120)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    """An organization trail with a bucket prefix: 2 regions x 4 hours, 3 log files an hour."""
    return build_archive(tmp_path / "copy", org=ORG, prefix=PREFIX)


def validate(archive: Archive, *extra: Any, signed: bool = True) -> subprocess.CompletedProcess:
    args: list[Any] = ["validate-logs", archive.root]
    if signed:
        keys, sigs = write_keys_and_signatures(archive, archive.root.parent)
        args += ["--public-keys", keys, "--signatures", sigs]
    return cli(*args, *extra)


def uri(archive: Archive, path: Path) -> str:
    return f"s3://{archive.bucket}/{archive.key(path)}"


def regzip(path: Path, edit) -> None:
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(edit(raw), mtime=0))


def digest_of(archive: Archive, region: str, hour: int) -> Path:
    return sorted(p for p in archive.digests if f"/{region}/" in p.as_posix())[hour]


# --------------------------------------------------------------------------- the intact archive


def test_intact_signed_archive_is_fully_valid(archive):
    done = validate(archive, "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INVALID" not in done.stdout
    assert "8/8 digest files valid" in done.stdout
    assert "24/24 log files valid" in done.stdout
    assert "not checked" not in done.stdout
    # Each file named, as the AWS CLI's --verbose names it.
    for path in archive.digests:
        assert f"Digest file\t{uri(archive, path)}\tvalid" in done.stdout
    for path in archive.logs:
        assert f"Log file\t{uri(archive, path)}\tvalid" in done.stdout


def test_json_report_and_head_object_signatures(archive):
    keys, sigs = write_keys_and_signatures(archive, archive.root.parent, as_head_object=True)
    done = cli("validate-logs", archive.root, "--public-keys", keys, "--signatures", sigs, "-o", "json")
    assert done.returncode == 0, done.stdout
    doc = json.loads(done.stdout)
    assert doc["valid"] is True and doc["signaturesChecked"] is True
    assert doc["digestFiles"] == {"valid": 8, "invalid": 0}
    assert doc["logFiles"] == {"valid": 24, "invalid": 0}
    assert {r["s3"] for r in doc["results"]} == {uri(archive, p) for p in archive.digests + archive.logs}
    assert doc["found"] == {"start": "2026-03-01T00:03:12Z", "end": "2026-03-01T04:03:12Z"}


def test_without_signatures_the_summary_says_they_were_not_checked(archive):
    done = validate(archive, signed=False)
    assert done.returncode == 0
    assert "Digest signatures were not checked" in done.stdout
    assert "8/8 digest files valid" in done.stdout


def test_results_do_not_depend_on_the_order_of_files(archive):
    files = [str(p) for p in archive.logs + archive.digests]
    keys = load_public_keys([str(write_keys_and_signatures(archive, archive.root.parent)[0])])
    sigs = load_signatures(str(archive.root.parent / "signatures.json"))
    first = validate_archive(files, public_keys=keys, signatures=sigs).as_dict()
    random.Random(3).shuffle(files)
    assert validate_archive(files, public_keys=keys, signatures=sigs).as_dict() == first
    assert first["valid"]


# --------------------------------------------------------------------------- tampering


def _modify_log(a: Archive) -> tuple[str, str]:
    path = a.logs[4]
    regzip(path, lambda raw: raw.replace(b'"ConsoleLogin"', b'"ConsoleLogout"', 1)
           if b'"ConsoleLogin"' in raw else raw.replace(b'"alice"', b'"mallory"', 1))
    return uri(a, path), "Log file\t{}\tINVALID: hash value doesn't match"


def _delete_log(a: Archive) -> tuple[str, str]:
    path = a.logs[7]
    path.unlink()
    return uri(a, path), "Log file\t{}\tINVALID: not found"


def _inject_log(a: Archive) -> tuple[str, str]:
    src = a.logs[1]
    # Delivered in the middle of an hour a digest covers, but listed by no digest.
    name = src.name.split("_")
    name[3] = (START + dt.timedelta(hours=1, minutes=30)).strftime("%Y%m%dT%H%MZ")
    name[4] = "INJECTED00000000.json.gz"
    path = src.with_name("_".join(name))
    shutil.copy(src, path)
    return uri(a, path), "Log file\t{}\tINVALID: not listed in the digest of its hour (added after delivery)"


def _delete_digest(a: Archive) -> tuple[str, str]:
    path = digest_of(a, "us-east-1", 1)
    path.unlink()
    return uri(a, path), "Digest file\t{}\tINVALID: not found"


def _modify_digest(a: Archive) -> tuple[str, str]:
    path = digest_of(a, "eu-west-1", 2)
    regzip(path, lambda raw: raw.replace(b'"hashValue":"', b'"hashValue":"0', 1))
    return uri(a, path), "Digest file\t{}\tINVALID: hash value doesn't match"


def _move_digest(a: Archive) -> tuple[str, str]:
    path = digest_of(a, "us-east-1", 2)
    moved = path.parent.parent / "02" / path.name
    moved.parent.mkdir(parents=True)
    path.rename(moved)
    return uri(a, moved), "Digest file\t{}\tINVALID: has been moved from its original location"


def _wrong_signature(a: Archive) -> tuple[str, str]:
    path = digest_of(a, "eu-west-1", 3)
    other = digest_of(a, "eu-west-1", 1)
    a.signatures[a.key(path)] = a.signatures[a.key(other)]
    return uri(a, path), "Digest file\t{}\tINVALID: signature verification failed"


def _unknown_fingerprint(a: Archive) -> tuple[str, str]:
    # The newest digest of a region signed with a key the keys file does not hold.
    path = digest_of(a, "us-east-1", 3)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    doc = json.loads(gzip.decompress(path.read_bytes()))
    doc["digestPublicKeyFingerprint"] = fingerprint(other)
    path.unlink()
    a.digests.remove(path)
    write_digest(a, a.key(path), doc, sign_with=other)
    return uri(a, path), ("Digest file\t{}\tINVALID: public key not found in region us-east-1 for fingerprint "
                          + fingerprint(other))


def _backfill_log_modified(a: Archive) -> tuple[str, str]:
    log = _add_backfill(a)
    regzip(log, lambda raw: raw + b" ")
    return uri(a, log), "Log file\t{}\tINVALID: hash value doesn't match"


def _add_backfill(a: Archive) -> Path:
    """A log file that missed its hour, listed by a backfill digest (`_backfill` suffix)."""
    src = digest_of(a, "us-east-1", 1)
    first = json.loads(gzip.decompress(src.read_bytes()))
    late = START + dt.timedelta(hours=1, minutes=50)
    key = first["logFiles"][0]["s3Object"].rsplit("/", 1)[0] + (
        f"/111122223333_CloudTrail_us-east-1_{late.strftime('%Y%m%dT%H%MZ')}_LATE0000FILE0000.json.gz")
    raw = json.dumps({"Records": [{"eventVersion": "1.08", "eventTime": late.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com"}]}).encode()
    log = a.root / a.bucket / key
    log.write_bytes(gzip.compress(raw, mtime=0))
    entry = {"s3Bucket": a.bucket, "s3Object": key, "hashValue": hashlib.sha256(raw).hexdigest(),
             "hashAlgorithm": "SHA-256", "newestEventTime": first["newestEventTime"],
             "oldestEventTime": first["oldestEventTime"]}
    end = START + dt.timedelta(hours=5, minutes=10)
    digest_key = src.as_posix().split(f"/{a.bucket}/", 1)[1].rsplit("_", 1)[0] + \
        f"_{end.strftime('%Y%m%dT%H%M%SZ')}_backfill.json.gz"
    doc = digest_document("111122223333", dt.datetime.fromisoformat(first["digestStartTime"]),
                          dt.datetime.fromisoformat(first["digestEndTime"]), a.bucket, digest_key,
                          fingerprint(signing_key()), [entry], None)
    write_digest(a, digest_key, doc)
    return log


TAMPERS = {
    "log-modified": _modify_log,
    "log-deleted": _delete_log,
    "log-injected": _inject_log,
    "digest-deleted": _delete_digest,
    "digest-modified": _modify_digest,
    "digest-moved": _move_digest,
    "wrong-signature": _wrong_signature,
    "fingerprint-not-in-keys": _unknown_fingerprint,
    "backfill-log-modified": _backfill_log_modified,
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_each_tamper_is_reported_with_the_file_named(archive, tamper):
    name, line = TAMPERS[tamper](archive)
    done = validate(archive)
    assert done.returncode == 1, done.stdout
    assert line.format(name) in done.stdout.splitlines(), done.stdout
    doc = json.loads(validate(archive, "-o", "json").stdout)
    assert doc["valid"] is False
    assert name in {r["s3"] for r in doc["results"] if r["status"] == "INVALID"}


def test_a_moved_digest_also_leaves_its_place_in_the_chain_empty(archive):
    name, _ = _move_digest(archive)
    original = name.replace("/03/02/", "/03/01/")
    assert f"Digest file\t{original}\tINVALID: not found" in validate(archive).stdout


def test_a_modified_digest_fails_its_signature_too_without_a_successor(archive):
    # The newest digest has no successor holding its hash: the signature is what finds it.
    path = digest_of(archive, "eu-west-1", 3)
    regzip(path, lambda raw: raw.replace(b'"newestEventTime":"2026', b'"newestEventTime":"2025', 1))
    done = validate(archive)
    assert f"Digest file\t{uri(archive, path)}\tINVALID: signature verification failed" in done.stdout
    assert validate(archive, signed=False).returncode == 0  # without signatures it cannot be told


def test_backfill_digest_is_validated_on_its_own(archive):
    log = _add_backfill(archive)
    done = validate(archive, "--verbose")
    assert done.returncode == 0, done.stdout
    backfill = next(p for p in archive.digests if p.name.endswith("_backfill.json.gz"))
    assert f"(backfill) Digest file\t{uri(archive, backfill)}\tvalid" in done.stdout
    assert f"Log file\t{uri(archive, log)}\tvalid" in done.stdout
    assert "1/1 backfill digest files valid" in done.stdout
    assert "25/25 log files valid" in done.stdout


def test_a_chain_that_starts_over_is_a_gap_with_its_times(archive):
    # Validation off for two hours, then on again: the new chain's first digest has no previous.
    first = START + dt.timedelta(hours=6)
    key = archive.key(digest_of(archive, "eu-west-1", 3)).replace("20260301T040312Z", "20260301T070312Z")
    doc = digest_document("111122223333", first, first + dt.timedelta(hours=1), archive.bucket, key,
                          fingerprint(signing_key()), [], None)
    write_digest(archive, key, doc)
    done = validate(archive)
    assert done.returncode == 0, done.stdout
    assert ("No log files were delivered by CloudTrail between 2026-03-01T04:03:12Z and 2026-03-01T06:03:12Z"
            in done.stdout.splitlines())
    assert json.loads(validate(archive, "-o", "json").stdout)["gaps"] == [
        {"chain": f"{ORG}/111122223333/eu-west-1/management-events/us-east-1",
         "from": "2026-03-01T04:03:12Z", "to": "2026-03-01T06:03:12Z", "backfill": False}]


def test_start_and_end_limit_the_range(archive):
    regzip(archive.logs[0], lambda raw: raw + b" ")  # a log file of the first hour of us-east-1
    assert validate(archive).returncode == 1
    done = validate(archive, "--start", "2026-03-01T02:00:00Z", "--end", "2026-03-01T02:30:00Z")
    assert done.returncode == 0, done.stdout
    assert "Results requested for 2026-03-01T02:00:00Z to 2026-03-01T02:30:00Z" in done.stdout
    # The digests ending in the range and the hour after it (as the AWS CLI lists them).
    assert "4/4 digest files valid" in done.stdout
    assert "12/12 log files valid" in done.stdout


def test_log_files_outside_any_covered_hour_are_not_covered(tmp_path):
    a = build_archive(tmp_path / "copy", regions=("us-east-1",), hours=2)
    stray = build_archive(tmp_path / "other", regions=("ap-south-1",), hours=1, seed=9)
    for log in stray.logs:
        dest = a.root / a.bucket / stray.key(log)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, dest)
    done = validate(a)
    assert done.returncode == 0, done.stdout
    assert "3 log files not covered by any digest in the copy" in done.stdout
    doc = json.loads(validate(a, "-o", "json").stdout)
    assert sorted(Path(p).name for p in doc["notCovered"]) == sorted(p.name for p in stray.logs)


def test_no_digest_found_is_not_a_valid_archive(tmp_path):
    a = build_archive(tmp_path / "copy", regions=("us-east-1",), hours=1)
    for d in a.digests:
        d.unlink()
    done = cli("validate-logs", a.root)
    assert done.returncode == 1
    assert "No digests found" in done.stdout


@pytest.mark.parametrize("args,message", [
    (["--public-keys", "KEYS"], "go together"),
    (["--start", "2026-03-02T00:00:00Z", "--end", "2026-03-01T00:00:00Z"], "--start must come before --end"),
    (["--public-keys", "BAD", "--signatures", "SIGS"], "PublicKeyList"),
])
def test_bad_usage_exits_2(archive, args, message):
    keys, sigs = write_keys_and_signatures(archive, archive.root.parent)
    bad = archive.root.parent / "bad.json"
    bad.write_text('{"keys": []}')
    args = [{"KEYS": keys, "SIGS": sigs, "BAD": bad}.get(a, a) for a in args]
    done = cli("validate-logs", archive.root, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert cli("validate-logs", archive.root / "nowhere").returncode == 2


# --------------------------------------------------------------------------- hashing and signing


def test_hash_is_of_the_uncompressed_content_and_trailing_data_is_invalid(tmp_path):
    raw = b'{"Records":[]}'
    path = tmp_path / "x.json.gz"
    path.write_bytes(gzip.compress(raw))
    assert hash_log_file(str(path)).hexdigest == hashlib.sha256(raw).hexdigest()
    path.write_bytes(gzip.compress(raw) + b"junk")
    assert hash_log_file(str(path)).error == "unexpected data after end of compressed stream"
    path.write_bytes(gzip.compress(raw)[:-6])
    assert hash_log_file(str(path)).error == "invalid format"
    path.write_bytes(raw)
    assert hash_log_file(str(path)).error == "invalid format"


def test_string_to_sign_is_the_documented_one():
    doc = json.loads(SAMPLE.read_text())
    text = string_to_sign(doc, "ab" * 32).decode()
    assert text.split("\n") == [
        "2015-08-17T15:01:31Z",
        "S3-bucket-name/" + doc["digestS3Object"],
        "ab" * 32,
        doc["previousDigestSignature"],
    ]
    doc["previousDigestSignature"] = None
    assert string_to_sign(doc, "ab" * 32).decode().endswith("\nnull")
    # And it is what the test archive signs: a signature made with it verifies.
    raw = json.dumps(doc).encode()
    assert sign(signing_key(), doc, raw)


# --------------------------------------------------------------------------- the AWS documentation's samples


def test_documentation_sample_digests_are_digests():
    for path in (SAMPLE, EMPTY):
        doc = json.loads(path.read_text())
        assert is_digest_document(doc)
        assert is_digest_path(doc["digestS3Object"])
        assert not is_digest_document({"Records": []})


def test_documentation_sample_digest_validates_against_a_copy(tmp_path):
    doc = json.loads(SAMPLE.read_text())
    dest = tmp_path / "S3-bucket-name" / doc["digestS3Object"]
    dest.parent.mkdir(parents=True)
    dest.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    log_key = doc["logFiles"][0]["s3Object"]
    report = validate_archive([str(tmp_path)])
    lines = [r.line() for r in report.results]
    # The copy starts with this digest (its previous is not required); its log file is not there.
    assert lines == [
        f"Digest file\ts3://S3-bucket-name/{doc['digestS3Object']}\tvalid",
        f"Log file\ts3://S3-bucket-name/{log_key}\tINVALID: not found",
    ]
    # The empty digest's hour is covered: a log file delivered in it is INVALID.
    empty = json.loads(EMPTY.read_text())
    dest = tmp_path / "example-bucket-name" / empty["digestS3Object"]
    dest.parent.mkdir(parents=True)
    dest.write_bytes(gzip.compress(EMPTY.read_bytes()))
    injected = dest.parents[5] / "CloudTrail/us-east-2/2015/08/20/111122223333_CloudTrail_us-east-2_20150820T1730Z_X.json.gz"
    injected.parent.mkdir(parents=True)
    injected.write_bytes(gzip.compress(b'{"Records":[]}'))
    report = validate_archive([str(tmp_path / "example-bucket-name")])
    assert [r.line() for r in report.results][-1].endswith("_X.json.gz\tINVALID: not listed in the digest of its "
                                                          "hour (added after delivery)")


# --------------------------------------------------------------------------- readers skip digests


def test_run_skips_digest_files_and_says_so(archive, tmp_path):
    config = tmp_path / "all.yaml"
    config.write_text(
        "metricFilters:\n"
        "  - filterName: any-account\n"
        "    filterPattern: '{ $.awsAccountId = * }'\n"
        "    metricTransformations: [{metricName: AccountEvents, metricNamespace: T, metricValue: '1'}]\n"
    )
    # One digest also under a name that says nothing: it is recognised by its keys.
    renamed = tmp_path / "mystery.gz"
    shutil.copy(archive.digests[0], renamed)
    files = [*archive.logs, *archive.digests, renamed]
    done = cli("run", config, *files, "-o", "json")
    assert done.returncode == 0, done.stderr
    inputs = json.loads(done.stdout)["summary"]["inputs"]
    assert inputs["total"]["read"] == archive.records == 960
    assert inputs["cloudtrail_digest_files"] == 9
    assert "9 CloudTrail digest files skipped; `cwfilter validate-logs` checks them" in done.stderr
    assert json.loads(done.stdout)["summary"]["filters"][0]["matched"] == 0


@pytest.mark.parametrize("command", ["test", "explain"])
def test_test_and_explain_skip_digest_files(archive, tmp_path, command):
    renamed = tmp_path / "mystery"
    renamed.write_bytes(gzip.decompress(archive.digests[0].read_bytes()))
    done = cli(command, "{ $.awsAccountId = * }", archive.digests[1], renamed, archive.logs[0])
    assert "2 CloudTrail digest files skipped; `cwfilter validate-logs` checks them" in done.stderr
    # The log file's one line has no awsAccountId: nothing matches, so no digest was read.
    assert done.returncode == 1, done.stdout


def test_readers_skip_digests_by_shape_and_by_path(archive, tmp_path):
    stats = InputStats()
    pretty = tmp_path / "pretty.json"
    shutil.copy(SAMPLE, pretty)  # pretty-printed, as the documentation shows it
    for spec in (archive.digests[0], pretty):
        assert list(read_events(str(spec), stats=stats)) == []
    assert [s.format for s in stats.sources.values()] == ["cloudtrail-digest", "cloudtrail-digest"]
    assert stats.read == 0
    assert list(read_events(str(archive.digests[0]), fmt="cloudtrail", stats=stats)) == []
    assert is_digest_file(str(pretty)) and not is_digest_file(str(archive.logs[0]))


# --------------------------------------------------------------------------- run --validate


def test_run_validate_marks_results_from_a_modified_archive(archive, tmp_path):
    config = tmp_path / "all.yaml"
    config.write_text(
        "metricFilters:\n"
        "  - filterName: all\n"
        "    filterPattern: ''\n"
        "    metricTransformations: [{metricName: All, metricNamespace: T, metricValue: '1'}]\n"
    )
    files = [*archive.logs, *archive.digests]
    done = cli("run", config, *files, "-o", "json", "--validate")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["archive"]["status"] == "complete and unmodified"
    assert summary["archive"]["logFiles"] == {"valid": 24, "invalid": 0}
    assert "CloudTrail archive: complete and unmodified" in done.stderr

    name, line = _modify_log(archive)
    deleted, _ = _delete_log(archive)
    files = [p for p in files if p.exists()]
    done = cli("run", config, *files, "-o", "json", "--validate")
    assert done.returncode == 1, done.stderr
    archive_doc = json.loads(done.stdout)["summary"]["archive"]
    assert archive_doc["status"] == "INCOMPLETE OR MODIFIED"
    assert {(r["s3"], r["reason"]) for r in archive_doc["invalid"]} == {
        (name, "hash value doesn't match"), (deleted, "not found")}
    assert "CloudTrail archive: INCOMPLETE OR MODIFIED" in done.stderr
    assert line.format(name) in done.stderr
    # The events were still read and counted.
    assert json.loads(done.stdout)["summary"]["inputs"]["total"]["read"] == 920


def test_public_keys_file_as_the_aws_cli_prints_it(tmp_path):
    # The output of `aws cloudtrail list-public-keys` in the AWS CLI's own example
    # (aws/aws-cli, awscli/examples/cloudtrail/list-public-keys.rst): Value is base64 DER PKCS#1.
    value = (
        "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMbgf"
        "Sw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUO"
        "rIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9D"
        "z+VHwyUPtBQvYr9BnkF88qBnaPNhS44rzwIDAQAB"
    )
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"PublicKeyList": [{
        "ValidityStartTime": 1453076702.0, "ValidityEndTime": 1455668702.0, "Value": value,
        "Fingerprint": "7f3f401420072e50a65a141430817ab3"}]}))
    keys = load_public_keys([str(path)])
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    assert load_der_public_key(keys["7f3f401420072e50a65a141430817ab3"]).key_size == 2048
