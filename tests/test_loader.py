"""The Lark parsers' tables, cached per user (grammar/loader.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cwfilter.grammar.loader import cache_dir, load_grammar

PATTERN = '{ $.eventName = "ConsoleLogin" && $.errorMessage = "Failed*" }'


def _tree(parser) -> str:
    return parser.parse(PATTERN, start="json_pattern").pretty()


def _load():
    return load_grammar("cwfilter.grammar", "filter_pattern.lark", lexer="contextual",
                        start=["term_pattern", "json_pattern", "delimited_pattern"],
                        propagate_positions=True, maybe_placeholders=False)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("CWFILTER_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "cwfilter"


def test_tables_are_saved_private_to_the_user_and_loaded_back(home, monkeypatch):
    first = _tree(_load())
    (saved,) = home.iterdir()
    assert saved.name.endswith(".lark-cache") and saved.stat().st_size > 1000
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    before = saved.stat().st_mtime_ns
    assert _tree(_load()) == first
    assert saved.stat().st_mtime_ns == before  # read, not rebuilt
    monkeypatch.setenv("CWFILTER_NO_CACHE", "1")
    assert _tree(_load()) == first  # the same parser as one built without the cache


def test_a_damaged_cache_file_is_rebuilt(home):
    first = _tree(_load())
    (saved,) = home.iterdir()
    saved.write_bytes(saved.read_bytes()[:200])
    assert _tree(_load()) == first
    assert saved.stat().st_size > 1000


def test_no_cache_when_turned_off_or_the_folder_cannot_be_made(home, tmp_path, monkeypatch):
    monkeypatch.setenv("CWFILTER_NO_CACHE", "1")
    assert cache_dir() is None
    _load()
    assert not home.exists()
    monkeypatch.delenv("CWFILTER_NO_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert cache_dir() is None
    assert _tree(_load())


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch, tmp_path):
    monkeypatch.delenv("CWFILTER_NO_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/place")
    assert cache_dir() == tmp_path / ".cache" / "cwfilter"


def test_the_cli_uses_the_cache(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("CWFILTER_NO_CACHE", None)
    # A pattern the grammar itself reads (`||` in a slot): the common shapes need no Lark at all.
    cli = [str(Path(sys.executable).with_name("cwfilter")), "test", "-o", "text", "[w1, w2 = ERROR || w2 = x]"]
    for _ in range(2):
        done = subprocess.run(cli, input=b"an ERROR\nfine\n", capture_output=True, env=env, timeout=60, check=False)
        assert (done.returncode, done.stdout, done.stderr) == (0, b"an ERROR\n", b"")
    version = "{}{}".format(*sys.version_info[:2])
    assert [p.name for p in (tmp_path / "cwfilter").iterdir()] == [f"filter_pattern-py{version}.lark-cache"]
