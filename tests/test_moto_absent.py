"""cwfilter without moto: the package imports, and cwfilter.moto says which extra to install.

A `moto` that fails to import is put first on the path of a subprocess, so these tests run
whether moto is installed here or not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

pytest_plugins = ["pytester"]


def _hide_moto(root: Path) -> Path:
    (root / "moto").mkdir(parents=True)
    (root / "moto" / "__init__.py").write_text("raise ImportError('No module named moto')\n")
    return root


def test_patch_without_moto_names_the_extra(tmp_path):
    hidden = _hide_moto(tmp_path)
    code = ("import cwfilter, cwfilter.moto\n"
            "assert cwfilter.compile_pattern('ERROR').matches('an ERROR')\n"
            "try:\n    cwfilter.moto.patch()\n"
            "except ImportError as e:\n    print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(hidden), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'cwfilter[moto]'" in proc.stdout


def test_fixture_without_moto_is_skipped(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(_hide_moto(pytester.path / "hidden")))
    pytester.makepyfile(test_uses_moto="def test_it(cwfilter_moto):\n    raise AssertionError('ran')\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    assert "SKIPPED [1] test_uses_moto.py:1: cwfilter_moto needs moto: pip install 'cwfilter[moto]'" \
        in result.stdout.str()
