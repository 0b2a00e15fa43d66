"""Whole-process comparisons with the tools people reach for otherwise, printed as a table.

    python benchmarks/compare_tools.py [--lines 1000000] [--records 500000] [--runs 5] [--only apache ...]

* `cwfilter test ERROR FILE | wc -l` against `grep -c ERROR FILE | cat` on 1,000,000 log lines,
  3% of them holding ERROR (target: at most 5x grep) and none (target: at most 3x grep);
* `cwfilter run` with the 14 Security Hub filters over 500,000 CloudTrail records (JSON lines)
  against `jq` selecting the records any of the same 14 filters matches (`SECURITY_HUB_JQ`;
  target: cwfilter at least 4x faster). Before timing, jq's selection is checked against the
  filters themselves on the first records, so both sides do the same work;
* the cold start of `cwfilter test ERROR` on one line against `python3 -c pass` (target: at most
  4x), and of a JSON pattern on one CloudTrail record (target: at most 10x);
* `cwfilter run` with the CIS pack and its 14 alarms over a month of sparse CloudTrail events
  (10,000 over 30 days) against the same run without the alarms (target: at most 1.5x);
* `cwfilter run` with two space-delimited filters (5xx bytes, 404 count) over 400,000 Apache lines
  against mawk (else awk) computing the same sums (target: at most 8x);
* `cwfilter run` with the CIS pack and its alarms over a day archive of 1,000 small `.json.gz`
  CloudTrail files (15 records each) against `zcat FILES | jq -c '.Records[]'` (target: at most
  1.5x).

Each command runs several times and the median wall time is reported (hyperfine when installed,
else a timer around subprocess runs). Inputs are generated, seeded, in a temporary folder from
the repository's corpus. cwfilter's bytecode is written first, as installing the package does.
Exit status 1 when a target is missed; the table is printed either way.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import (  # noqa: E402
    ROOT_USAGE,
    apache_lines,
    cloudtrail_messages,
    cloudtrail_records,
    compile_package,
    error_log,
    security_hub_config,
    synthetic_trail,
)

CWFILTER = str(Path(sys.executable).with_name("cwfilter"))


def median_seconds(command: str, runs: int) -> float:
    """Median wall time of a shell command over `runs` runs (after one warm-up)."""
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(
                ["hyperfine", "--warmup", "1", "--runs", str(runs), "--ignore-failure", "--export-json", out.name,
                 "--style", "none", "--shell", "bash", command],
                check=True, stdout=subprocess.DEVNULL,
            )
            return json.load(open(out.name))["results"][0]["median"]
    subprocess.run(command, shell=True, check=False, stdout=subprocess.DEVNULL, executable="/bin/bash")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, shell=True, check=False, stdout=subprocess.DEVNULL, executable="/bin/bash")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# The 14 Security Hub filters (tests/data/conformance/cis-patterns.json) as one jq selection:
# a record is printed when any of them matches it. `!=` is false on a missing or null value, an
# object or an array (DECISIONS P10), hence SCALAR.
SECURITY_HUB_JQ = """def SCALAR: type | IN("string", "number", "boolean");
select(
  (.userIdentity.type == "Root" and (.userIdentity | has("invokedBy") | not) and (.eventType | SCALAR and . != "AwsServiceEvent"))
  or (.errorCode | type == "string" and (endswith("UnauthorizedOperation") or startswith("AccessDenied")))
  or (.eventName == "ConsoleLogin" and (.additionalEventData.MFAUsed | SCALAR and . != "Yes") and .userIdentity.type == "IAMUser"
      and .responseElements.ConsoleLogin == "Success")
  or (.eventName | IN("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
      "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",
      "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"))
  or (.eventName | IN("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"))
  or (.eventName == "ConsoleLogin" and .errorMessage == "Failed authentication")
  or (.eventSource == "kms.amazonaws.com" and (.eventName | IN("DisableKey", "ScheduleKeyDeletion")))
  or (.eventSource == "s3.amazonaws.com" and (.eventName | IN("PutBucketAcl", "PutBucketPolicy", "PutBucketCors",
      "PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle",
      "DeleteBucketReplication")))
  or (.eventSource == "config.amazonaws.com" and (.eventName | IN("StopConfigurationRecorder",
      "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder")))
  or (.eventName | IN("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
      "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"))
  or (.eventName | IN("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
      "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"))
  or (.eventName | IN("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
      "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"))
  or (.eventName | IN("CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
      "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"))
  or (.eventName | IN("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
      "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc",
      "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink"))
)"""


def _check_jq_selection(work: Path, trail_lines: list[str], config) -> None:
    """jq's selection must pick exactly the records any of the filters matches (first 20,000)."""
    import cwfilter

    sample = trail_lines[:20_000]
    path = work / "sample.jsonl"
    path.write_text("\n".join(sample) + "\n")
    out = subprocess.run(["jq", "-c", SECURITY_HUB_JQ, str(path)], check=True, capture_output=True, text=True).stdout
    compiled = [cwfilter.compile_pattern(mf.filter_pattern) for mf in config.metric_filters]
    want = sum(1 for m in sample if any(c.matches(m) for c in compiled))
    got = len(out.splitlines())
    if got != want:
        raise SystemExit(f"the jq selection picks {got} of the first {len(sample)} records, the filters {want}")


def _sparse_month_row(work: Path, runs: int) -> tuple:
    """The CIS pack with and without its alarms over 10,000 CloudTrail events in 30 days."""
    import random
    from datetime import UTC, datetime

    from cwfilter.engine.testing.cis import build_config

    rng = random.Random(5)
    # Records whose only time is eventTime, so the timeline is the month written here.
    records = [r for r in cloudtrail_records() if not any("time" in k.lower() and k != "eventTime" for k in r)]
    t0 = 1_704_067_200
    month = work / "month.jsonl"
    with month.open("w") as fh:
        for t in sorted(rng.randrange(30 * 86400) for _ in range(10_000)):
            record = dict(rng.choice(records))
            record["eventTime"] = datetime.fromtimestamp(t0 + t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
    config = build_config("securityhub")
    with_alarms, without = work / "cis.json", work / "cis-filters.json"
    with_alarms.write_text(json.dumps(config))
    without.write_text(json.dumps({"metricFilters": config["metricFilters"]}))
    group = config["metricFilters"][0]["logGroupName"]
    t_without = median_seconds(f"{CWFILTER} run --quiet -o json {without} {month}@{group}", runs)
    t_with = median_seconds(f"{CWFILTER} run --quiet -o json {with_alarms} {month}@{group}", runs)
    return ("cwfilter run, CIS + alarms", "the same, no alarms", t_with, "10,000 events, 30 days", t_without,
            "<= 1.5x", t_with / t_without <= 1.5)


_APACHE_FILTERS = (
    # (name, pattern, metric name, metric value)
    ("server-errors", "[ip, id, user, ts, request, status = 5*, bytes, referrer, agent]", "ServerErrorBytes",
     "$bytes"),
    ("not-found", "[ip, id, user, ts, request, status = 404, bytes, referrer, agent]", "NotFound", "1"),
)
# The same two sums in awk: bytes of 5xx responses ("-" adds 0, as it is no sample for cwfilter),
# and the count of 404s. In the combined format the quoted request holds two spaces, so awk's $9
# and $10 are the status and the bytes.
_AWK_PROGRAM = "'$9 ~ /^5/ {b += $10} $9 == 404 {c++} END {printf \"%d %d\\n\", b, c}'"


def _apache_row(work: Path, corpus: list[str], n: int, runs: int) -> tuple:
    """`cwfilter run` with two space-delimited filters over `n` Apache lines, against mawk (else awk)
    doing the same sums; both results are compared before anything is timed."""
    log = work / "apache.log"
    with log.open("w") as fh:
        for i in range(n):
            fh.write(corpus[i % len(corpus)] + "\n")
    config = work / "apache.json"
    config.write_text(json.dumps({"metricFilters": [
        {"filterName": name, "logGroupName": "web", "filterPattern": pattern,
         "metricTransformations": [{"metricName": metric, "metricNamespace": "Web", "metricValue": value}]}
        for name, pattern, metric, value in _APACHE_FILTERS
    ]}))
    awk = shutil.which("mawk") or "awk"
    awk_cmd = f"{awk} {_AWK_PROGRAM} {log}"
    run_cmd = f"{CWFILTER} run --quiet -o json {config} {log}@web"
    out = json.loads(subprocess.run(run_cmd, shell=True, capture_output=True, check=True, text=True).stdout)
    sums = {m["MetricName"]: sum(d["Sum"] for d in m["Datapoints"]) for m in out["metrics"]}
    awk_sums = subprocess.run(awk_cmd, shell=True, capture_output=True, check=True, text=True).stdout.split()
    if [int(sums.get("ServerErrorBytes", 0)), int(sums.get("NotFound", 0))] != [int(x) for x in awk_sums]:
        raise SystemExit(f"cwfilter and {awk} disagree: {sums} against {awk_sums}")
    t_awk = median_seconds(awk_cmd, runs)
    t_run = median_seconds(run_cmd, runs)
    return ("cwfilter run, 2 delimited", f"{Path(awk).name} (the same sums)", t_run, f"{n:,} Apache lines", t_awk,
            "<= 8x", t_run / t_awk <= 8)


def _day_archive_row(work: Path, runs: int) -> tuple:
    """The CIS pack with its alarms over a day archive of 1,000 small `.json.gz` files, against
    `zcat | jq -c '.Records[]'` over the same files."""
    from bench_small_files import DAY_PER_FILE, _write_archive
    from cwfilter.engine.testing.cis import build_config

    day = work / "day"
    many, _ = _write_archive(day, 1000, DAY_PER_FILE)
    listing = day / "files.txt"
    listing.write_text("\n".join(many) + "\n")
    config = day / "cis.json"
    config.write_text(json.dumps(build_config("securityhub")))
    t_jq = median_seconds(f"zcat $(cat {listing}) | jq -c '.Records[]'", runs)
    t_run = median_seconds(f"{CWFILTER} run --quiet -o json {config} $(cat {listing})", runs)
    return ("cwfilter run, CIS day archive", "zcat | jq -c .Records[]", t_run, f"1,000 files, {1000 * DAY_PER_FILE:,} records",
            t_jq, "<= 1.5x", t_run / t_jq <= 1.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--apache-lines", type=int, default=400_000)
    parser.add_argument("--only", nargs="+", choices=sorted(ONLY), help="run only these rows")
    args = parser.parse_args()
    rows: list[tuple[str, str, float, str, float, str, bool]] = []
    compile_package()
    if args.only:
        with tempfile.TemporaryDirectory() as tmp:
            return _report([ONLY[name](Path(tmp), args) for name in args.only])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = apache_lines()
        big = work / "big.log"
        with big.open("w") as fh:
            for i in range(args.lines):
                fh.write(corpus[i % len(corpus)] + "\n")
        errors = work / "errors.log"
        error_log(errors, args.lines, share=0.03)
        one = work / "one.log"
        one.write_text(corpus[0] + "\n")
        record = work / "record.jsonl"
        record.write_text(cloudtrail_messages()[0] + "\n")
        trail = work / "trail.jsonl"
        trail_lines = synthetic_trail(args.records, seed=3)
        trail.write_text("\n".join(trail_lines) + "\n")
        config = work / "securityhub.json"
        hub = security_hub_config()
        config.write_text(hub.model_dump_json(by_alias=True, exclude_none=True))

        for path, share, limit in ((errors, "3% ERROR", 5), (big, "no ERROR", 3)):
            t_grep = median_seconds(f"grep -c ERROR {path} | cat", args.runs)
            t_test = median_seconds(f"{CWFILTER} test ERROR {path} | wc -l", args.runs)
            rows.append(("cwfilter test ERROR | wc -l", "grep -c ERROR | cat", t_test, f"{args.lines:,} lines, {share}",
                         t_grep, f"<= {limit}x grep", t_test / t_grep <= limit))

        if shutil.which("jq"):
            _check_jq_selection(work, trail_lines, hub)
            program = work / "securityhub.jq"
            program.write_text(SECURITY_HUB_JQ)
            t_jq = median_seconds(f"jq -c -f {program} {trail} | wc -l", max(1, args.runs // 2))
            t_run = median_seconds(
                f"{CWFILTER} run --quiet -o json --lateness 100000000 {config} {trail}@trail", args.runs
            )
            rows.append(("cwfilter run (14 filters)", "jq (the same 14 filters)", t_run, f"{args.records:,} records",
                         t_jq, ">= 4x faster than jq", t_jq / t_run >= 4))
        else:
            print("jq is not installed: skipping the jq comparison (apt-get install jq)", file=sys.stderr)

        t_py = median_seconds(f"{sys.executable} -c pass", args.runs)
        t_cold = median_seconds(f"{CWFILTER} test ERROR {one}", args.runs)
        rows.append(("cwfilter test, 1 line", "python3 -c pass", t_cold, "cold start", t_py,
                     "<= 4x python", t_cold / t_py <= 4))
        t_cold = median_seconds(f"{CWFILTER} test '{ROOT_USAGE}' {record}", args.runs)
        rows.append(("cwfilter test JSON, 1 line", "python3 -c pass", t_cold, "cold start, JSON pattern", t_py,
                     "<= 10x python", t_cold / t_py <= 10))

        rows.append(_sparse_month_row(work, args.runs))
        rows.append(_apache_row(work, corpus, args.apache_lines, args.runs))
        if shutil.which("jq") and shutil.which("zcat"):
            rows.append(_day_archive_row(work, args.runs))

    return _report(rows)


# The rows `--only` can run alone (each generates its own inputs).
ONLY = {
    "apache": lambda work, args: _apache_row(work, apache_lines(), args.apache_lines, args.runs),
    "sparse": lambda work, args: _sparse_month_row(work, args.runs),
    "day": lambda work, args: _day_archive_row(work, args.runs),
}


def _report(rows: list[tuple]) -> int:
    print(f"{'command':28} {'seconds':>9}  {'baseline':24} {'seconds':>9}  {'ratio':>7}  {'target':24} met")
    ok = True
    for name, base, t, what, tb, target, met in rows:
        ratio = t / tb
        print(f"{name:28} {t:9.3f}  {base:24} {tb:9.3f}  {ratio:7.2f}  {target:24} {'yes' if met else 'NO'}   ({what})")
        ok &= met
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
