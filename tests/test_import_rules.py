"""Import direction (cli -> engine -> grammar -> lark/stdlib, and between the engine's stages)
and what `pip install .` ships.

Inside `engine`, imports follow the data's way through the stages: inputs -> matching -> metrics
-> alarms; a stage never imports a later one, and none of them imports the stages on the side
(config, authoring, testing, report), which may import any of them.

The package `cwfilter` is mapped onto the repository's top-level folders: the root's ``*.py``
files are `cwfilter`, ``grammar/`` is `cwfilter.grammar`, ``engine/`` is `cwfilter.engine`. The
rules are checked statically with the stdlib `ast`, so a forbidden import fails here even when
it sits in a branch that never runs.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "cwfilter"

GRAMMAR_FORBIDDEN_THIRD_PARTY = {"pydantic", "sortedcontainers", "typer", "rich", "re2", "orjson", "yaml"}
GRAMMAR_ALLOWED_THIRD_PARTY = {"lark"}
ENGINE_FORBIDDEN_THIRD_PARTY = {"typer", "rich", "click"}
INTERPRET = f"{PACKAGE}.engine.matching.interpret"
CLI = f"{PACKAGE}.cli"
# The engine's stages in the data's order, and the ones on the side of it.
STAGES = ("inputs", "matching", "metrics", "alarms")
SIDE_STAGES = ("config", "authoring", "testing", "report")
# The Engine feeds the datapoints it makes to the alarm evaluators it holds: the one module where
# the metrics stage drives the next one.
DRIVES_ALARMS = {f"{PACKAGE}.engine.metrics.pipeline": f"{PACKAGE}.engine.alarms"}


@dataclass(frozen=True, slots=True)
class Module:
    """One source file of the package and its dotted name."""

    path: Path
    name: str
    is_package: bool


@dataclass(frozen=True, slots=True)
class Import:
    """One imported name, resolved to an absolute dotted name, with its line."""

    name: str
    line: int


def package_modules(repo: Path) -> list[Module]:
    """Every module of the installed package, found from the repository layout."""
    found = []
    for path in sorted(repo.glob("*.py")):
        stem = path.stem
        found.append(Module(path, PACKAGE if stem == "__init__" else f"{PACKAGE}.{stem}", stem == "__init__"))
    for sub in ("grammar", "engine"):
        for path in sorted((repo / sub).rglob("*.py")):
            parts = path.relative_to(repo).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            found.append(Module(path, ".".join((PACKAGE, *parts)), is_package))
    return found


def imports_of(source: str, module: str, is_package: bool) -> list[Import]:
    """Absolute names imported by `source`, the code of `module`.

    ``from X import a`` yields both ``X`` and ``X.a`` (``a`` may be a submodule). Relative imports
    are resolved against the module's package. ``importlib.import_module("...")`` and
    ``__import__("...")`` with a constant string count as imports too.
    """
    package = module if is_package else module.rpartition(".")[0]
    out: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level - 1 >= len(base_parts):
                    raise ValueError(f"relative import beyond the top package in {module}, line {node.lineno}")
                base = ".".join(base_parts[: len(base_parts) - (node.level - 1)])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            out.append(Import(origin, node.lineno))
            out.extend(Import(f"{origin}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                out.append(Import(node.args[0].value, node.lineno))
    return out


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def top_level(name: str) -> str:
    return name.partition(".")[0]


def stage_of(name: str) -> str | None:
    """The engine stage (`inputs` ... `report`) a dotted name belongs to, or None."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[:2] == [PACKAGE, "engine"] and parts[2] in (*STAGES, *SIDE_STAGES):
        return parts[2]
    return None


def stage_violation(module: str, imported: str) -> str | None:
    """Why `module` may not import `imported` under the stage order, or None."""
    here, there = stage_of(module), stage_of(imported)
    if here not in STAGES or there is None or there == here:
        return None
    if within(imported, DRIVES_ALARMS.get(module, "-")):
        return None
    if there in SIDE_STAGES:
        return f"the {here} stage imports {imported}, of the {there} stage on the side"
    if STAGES.index(there) > STAGES.index(here):
        return f"the {here} stage imports {imported}, of the later {there} stage"
    return None


def violations(module: Module, imports: list[Import]) -> list[str]:
    """Every way `imports` of `module` break the layering rules."""
    bad = []
    where = f"{module.path.name if module.path.parent == REPO else module.path.relative_to(REPO)}"
    for imp in imports:
        top = top_level(imp.name)
        if within(module.name, f"{PACKAGE}.grammar"):
            if within(imp.name, f"{PACKAGE}.engine") or within(imp.name, CLI):
                bad.append(f"{where}:{imp.line} grammar imports {imp.name}")
            if top in GRAMMAR_FORBIDDEN_THIRD_PARTY:
                bad.append(f"{where}:{imp.line} grammar imports {top}")
            elif top != PACKAGE and top not in GRAMMAR_ALLOWED_THIRD_PARTY and top not in sys.stdlib_module_names:
                bad.append(f"{where}:{imp.line} grammar imports {top}, which is neither stdlib nor lark")
        if within(module.name, f"{PACKAGE}.engine"):
            if within(imp.name, CLI):
                bad.append(f"{where}:{imp.line} engine imports {imp.name}")
            if top in ENGINE_FORBIDDEN_THIRD_PARTY:
                bad.append(f"{where}:{imp.line} engine imports {top}")
        if (why := stage_violation(module.name, imp.name)) is not None:
            bad.append(f"{where}:{imp.line} {why}")
        if within(imp.name, INTERPRET) and module.name != INTERPRET:
            bad.append(f"{where}:{imp.line} imports {imp.name} (only tests may)")
        if within(imp.name, CLI) and module.name not in {CLI, f"{PACKAGE}.__main__"}:
            bad.append(f"{where}:{imp.line} imports {imp.name} (nothing imports the CLI)")
    return bad


# --------------------------------------------------------------------------- the checker itself


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("from ..engine import compiler", "cwfilter.grammar.parser", False,
         {"cwfilter.engine", "cwfilter.engine.compiler"}),
        ("from . import nodes", "cwfilter.grammar", True, {"cwfilter.grammar", "cwfilter.grammar.nodes"}),
        ("from . import nodes", "cwfilter.grammar.parser", False, {"cwfilter.grammar", "cwfilter.grammar.nodes"}),
        ("from .interpret import interpret", "cwfilter.engine.x", False,
         {"cwfilter.engine.interpret", "cwfilter.engine.interpret.interpret"}),
        ("import pydantic.fields as f", "cwfilter.grammar.nodes", False, {"pydantic.fields"}),
        ("def f():\n    from rich.table import Table", "cwfilter.engine.x", False, {"rich.table", "rich.table.Table"}),
        ("importlib.import_module('cwfilter.engine.matching.interpret')", "cwfilter.cli", False, {"cwfilter.engine.matching.interpret"}),
        ("from .. import __version__", "cwfilter.engine.x", False, {"cwfilter", "cwfilter.__version__"}),
    ],
)
def test_imports_are_resolved(source, module, is_package, expected):
    assert {imp.name for imp in imports_of(source, module, is_package)} == expected


@pytest.mark.parametrize(
    ("source", "module", "flagged"),
    [
        ("from ..engine import compiler", "cwfilter.grammar.parser", True),
        ("from ..cli import app", "cwfilter.grammar.parser", True),
        ("import re2", "cwfilter.grammar.parser", True),
        ("import yaml", "cwfilter.grammar.parser", True),
        ("if TYPE_CHECKING:\n    import pydantic", "cwfilter.grammar.nodes", True),
        ("import numpy", "cwfilter.grammar.parser", True),  # neither stdlib nor lark
        ("import lark\nimport re\nfrom __future__ import annotations\nfrom . import nodes", "cwfilter.grammar.parser",
         False),
        ("import typer", "cwfilter.engine.matching.compiler", True),
        ("from rich.console import Console", "cwfilter.engine.matching.compiler", True),
        ("import pydantic, sortedcontainers, re2\nfrom ..grammar import nodes", "cwfilter.engine.config.native", False),
        ("from . import interpret", "cwfilter.engine.matching.compiler", True),
        ("from .engine.matching.interpret import interpret", "cwfilter.cli", True),
        ("from .engine import compile_pattern", "cwfilter.cli", False),
        ("from .cli import main", "cwfilter.__main__", False),
        ("from .cli import main", "cwfilter", True),
        ("from ..metrics.transform import RuntimeFilter", "cwfilter.engine.matching.routing", True),
        ("from ..alarms.evaluate import history_item", "cwfilter.engine.matching.compiler", True),
        ("from ..config.native import Config", "cwfilter.engine.metrics.transform", True),
        ("from ..report.text import plural", "cwfilter.engine.inputs.messages", True),
        ("from ..matching.compiler import compile_pattern", "cwfilter.engine.inputs.messages", True),
        ("from ..inputs.readers import read_events", "cwfilter.engine.metrics.runner", False),
        ("from ..matching.compiler import compile_pattern", "cwfilter.engine.metrics.transform", False),
        ("from ..metrics.series import parse_statistic", "cwfilter.engine.alarms.evaluate", False),
        ("from ..alarms.evaluate import AlarmEvaluator", "cwfilter.engine.metrics.pipeline", False),
        ("from ..alarms.evaluate import AlarmEvaluator", "cwfilter.engine.metrics.runner", True),
        ("from ..metrics.pipeline import Engine", "cwfilter.engine.testing.scenario", False),
        ("from ..inputs.readers import MAX_EVENT_BYTES", "cwfilter.engine.report.text", False),
        ("from ...cli import app", "cwfilter.engine.report.text", True),
    ],
)
def test_checker_flags_forbidden_imports(source, module, flagged):
    mod = Module(REPO / "x.py", module, module == "cwfilter")
    assert bool(violations(mod, imports_of(source, module, mod.is_package))) is flagged


# --------------------------------------------------------------------------- the package


def test_layout_is_found():
    names = {m.name for m in package_modules(REPO)}
    assert {"cwfilter", "cwfilter.cli", "cwfilter.grammar", "cwfilter.engine"} <= names


@pytest.mark.parametrize("module", package_modules(REPO), ids=lambda m: m.name)
def test_import_direction(module):
    imports = imports_of(module.path.read_text(encoding="utf-8"), module.name, module.is_package)
    assert violations(module, imports) == []


# --------------------------------------------------------------------------- pip install .

INSTALL_IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "tests", "benchmarks", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".benchmarks", ".hypothesis",
)


def _site_packages(venv: Path) -> Path:
    found = list(venv.glob("lib/python3*/site-packages")) + list(venv.glob("Lib/site-packages"))
    assert len(found) == 1, found
    return found[0]


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@dataclass(frozen=True, slots=True)
class Installed:
    """A venv with cwfilter installed from `src`, a snapshot of the repository."""

    venv: Path
    src: Path

    @property
    def package(self) -> Path:
        return _site_packages(self.venv) / PACKAGE


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """A fresh venv holding a regular (not editable) install of a copy of the repository.

    Only cwfilter is installed (``--no-deps``); its dependencies come from the interpreter running
    the tests through a ``.pth`` file, which adds those directories to ``sys.path`` after the
    venv's own site-packages without running their ``.pth`` files (so an editable install of
    cwfilter there stays invisible). Building the wheel needs only setuptools and wheel from the
    package index, as any ``pip install .`` does.
    """
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    shutil.copytree(REPO, src, ignore=INSTALL_IGNORE)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    deps = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    (_site_packages(venv) / "_cwfilter_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    done = subprocess.run(
        [str(_bin(venv, "python")), "-m", "pip", "install", "--no-deps", "--no-input", "--quiet", str(src)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(venv, src)


def test_installed_package_is_importable_from_the_venv(installed):
    code = (
        "import cwfilter, cwfilter.cli, cwfilter.engine, cwfilter.grammar\n"
        "print(cwfilter.__file__)\nprint(cwfilter.__version__)"
    )
    done = subprocess.run(
        [str(_bin(installed.venv, "python")), "-c", code], capture_output=True, text=True, cwd=installed.venv
    )
    assert done.returncode == 0, done.stderr
    file, version = done.stdout.splitlines()
    assert Path(file).resolve() == (installed.package / "__init__.py").resolve()
    with (REPO / "pyproject.toml").open("rb") as f:
        assert version == tomllib.load(f)["project"]["version"]


def test_installed_console_script_runs(installed):
    done = subprocess.run([str(_bin(installed.venv, "cwfilter")), "--version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cwfilter ")


def test_no_generic_top_level_names(installed):
    site = _site_packages(installed.venv)
    for name in ("engine", "grammar", "cli", "cli.py", "tests", "benchmarks", "__init__.py"):
        assert not (site / name).exists(), name
    dist_infos = list(site.glob("cwfilter-*.dist-info"))
    assert len(dist_infos) == 1
    record = (dist_infos[0] / "RECORD").read_text(encoding="utf-8")
    paths = [line.rsplit(",", 2)[0] for line in record.splitlines() if line]
    strays = [p for p in paths if not (p.startswith(("cwfilter/", dist_infos[0].name + "/")) or p.startswith(".."))]
    assert strays == []


def test_every_source_module_is_shipped(installed):
    missing = []
    for module in package_modules(installed.src):
        rel = module.path.relative_to(installed.src)
        if not (installed.package / rel).is_file():
            missing.append(str(rel))
    assert missing == []


def test_py_typed_and_grammar_files_are_shipped(installed):
    assert (installed.package / "py.typed").is_file()
    lark_files = sorted(p.relative_to(installed.src) for p in (installed.src / "grammar").rglob("*.lark"))
    assert lark_files, "the grammar has no .lark file"
    for rel in lark_files:
        assert (installed.package / rel).read_bytes() == (installed.src / rel).read_bytes(), rel


# --------------------------------------------------------------------------- installed distributions

GENERIC_NAMES = ("cli", "engine", "grammar", "tests")


def _top_level_names(dist: importlib.metadata.Distribution) -> set[str]:
    """The importable top-level names a distribution puts into site-packages."""
    listed = dist.read_text("top_level.txt")
    names = {line.strip() for line in (listed or "").splitlines() if line.strip()}
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        first = parts[0]
        if len(parts) == 1:
            if not first.endswith(".py"):
                continue
            first = first[:-3]
        names.add(first.split(".", 1)[0])
    return names


def test_no_installed_distribution_squats_a_generic_top_level_name():
    """python-hcl2 8.0 and 8.1 install a top-level `cli` package, which would shadow a user's own."""
    squatters = {
        f"{dist.metadata['Name']} {dist.version}": sorted(_top_level_names(dist) & set(GENERIC_NAMES))
        for dist in importlib.metadata.distributions()
    }
    assert {name: found for name, found in squatters.items() if found} == {}


def test_top_level_names_are_read_from_the_records():
    hcl2 = importlib.metadata.distribution("python-hcl2")
    assert "hcl2" in _top_level_names(hcl2)
    assert "pytest" in _top_level_names(importlib.metadata.distribution("pytest"))
