"""`cwfilter validate-logs` against the floor of its work: inflating and hashing every file.

The floor is measured in the same process on the same files: read each file, inflate it whole
(`zlib.decompress`) and SHA-256 it, what `zcat FILE | sha256sum` does. Validation adds walking the
copy, parsing the digests, following the chain and inflating in bounded steps. Target (benchmark
mode): validation within 1.5x of the floor. `zcat | sha256sum` itself is timed as well and recorded
for reference (a separate process, so not the ratio's baseline).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ctarchive import build_archive
from cwfilter.engine.inputs.cloudtrail_validate import validate_archive
from workloads import best_of

TARGET_RATIO = 1.5


def _floor(files: list[Path]) -> int:
    n = 0
    for path in files:
        digest = hashlib.sha256(zlib.decompress(path.read_bytes(), 16 + zlib.MAX_WBITS)).hexdigest()
        n += len(digest)
    return n


@pytest.mark.benchmark(group="cloudtrail-validate")
def test_validate_logs_near_inflate_and_hash_floor(benchmark, full, tmp_path):
    # A realistic CloudTrail log file holds tens to hundreds of records of ~1-2 KB each.
    archive = build_archive(
        tmp_path / "copy", regions=("us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"),
        hours=24 if full else 2, files_per_hour=6 if full else 2, records_per_file=150 if full else 20,
        record_bytes=600,
    )
    files = archive.logs + archive.digests
    root = str(archive.root)

    def validate() -> bool:
        return validate_archive([root]).ok

    assert benchmark.pedantic(validate, rounds=1, iterations=1)
    if not full:
        return
    t_validate, t_floor = best_of(5, validate, lambda: _floor(files))
    ratio = t_validate / t_floor
    size = sum(len(zlib.decompress(p.read_bytes(), 31)) for p in files)
    figures = {"files": len(files), "inflated_mb": size / 1e6, "validate_s": t_validate, "floor_s": t_floor,
               "ratio": ratio}
    if shutil.which("zcat") and shutil.which("sha256sum"):
        def zcat_all() -> None:  # one pipe over every file: the floor for the bytes alone
            subprocess.run(["sh", "-c", 'zcat "$@" | sha256sum', "sh", *map(str, files)], check=True,
                           capture_output=True)

        (t_zcat,) = best_of(2, zcat_all)
        figures["zcat_sha256sum_one_pipe_s"] = t_zcat
        figures["ratio_vs_zcat_pipe"] = t_validate / t_zcat
    for key, value in figures.items():
        benchmark.extra_info[key] = round(value, 3) if isinstance(value, float) else value
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
    assert ratio <= TARGET_RATIO, figures
