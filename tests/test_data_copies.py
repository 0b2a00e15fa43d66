"""The test data under ``tests/data/`` are byte-identical copies of the shared originals.

The originals live in the ``shared`` folder next to the repository checkout
(``<checkout>/../shared/conformance`` and ``.../corpus``). Where that folder is absent (a clone on
its own), the comparison is skipped and the copies are the only data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = REPO.parent / "shared"
COPIED = ("conformance", "corpus")


def tree(root: Path) -> dict[str, Path]:
    """Every file under `root`, keyed by its POSIX path relative to `root`."""
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def differences(copy: Path, original: Path) -> list[str]:
    """Files added to, missing from or differing in `copy` compared with `original`, sorted."""
    ours, theirs = tree(copy), tree(original)
    out = [f"added: {name}" for name in ours.keys() - theirs.keys()]
    out += [f"missing: {name}" for name in theirs.keys() - ours.keys()]
    out += [
        f"differs: {name}"
        for name in ours.keys() & theirs.keys()
        if ours[name].read_bytes() != theirs[name].read_bytes()
    ]
    return sorted(out)


needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"no shared folder at {SHARED}: the copies cannot be compared with their originals"
)


@pytest.mark.parametrize("folder", COPIED)
def test_copy_exists_and_is_not_empty(folder):
    assert tree(DATA / folder), f"tests/data/{folder} holds no files"


@needs_shared
@pytest.mark.parametrize("folder", COPIED)
def test_copy_is_byte_identical_to_original(folder):
    original = SHARED / folder
    assert original.is_dir(), f"{original} is missing from the shared folder"
    assert differences(DATA / folder, original) == []


def test_differences_sees_added_missing_and_changed_files(tmp_path):
    copy, original = tmp_path / "copy", tmp_path / "original"
    for root in (copy, original):
        (root / "sub").mkdir(parents=True)
        (root / "same.txt").write_bytes(b"a\r\nb")
        (root / "sub" / "changed.log").write_bytes(b"x\n")
    (copy / "sub" / "changed.log").write_bytes(b"x \n")
    (copy / "extra.json").write_bytes(b"{}")
    (original / "sub" / "gone.jsonl").write_bytes(b"")
    assert differences(copy, original) == ["added: extra.json", "differs: sub/changed.log", "missing: sub/gone.jsonl"]
    (copy / "sub" / "changed.log").write_bytes(b"x\n")
    (copy / "extra.json").unlink()
    (copy / "sub" / "gone.jsonl").write_bytes(b"")
    assert differences(copy, original) == []
