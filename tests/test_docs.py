"""The documentation site: built with MkDocs from docs/ (when the docs extra is installed), its
generated pages and the links messages carry."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cwfilter.engine import links
from cwfilter.engine.schema import KINDS, schema

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def load_hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def anchors(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', html))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built as `.ci/run` builds it (strict: any broken link or anchor fails)."""
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip("the docs extra is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)], cwd=REPO,
                          capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""}, check=False)
    assert done.returncode == 0, done.stderr
    return out


def page(site: Path, url: str) -> str:
    """The HTML of a page from its address under `links.DOCS_URL`."""
    assert url.startswith(links.DOCS_URL)
    path = url.removeprefix(links.DOCS_URL).split("#")[0]
    return (site / path / "index.html").read_text(encoding="utf-8")


def test_every_decision_link_lands_on_its_anchor(site):
    text = (DOCS / "reference" / "decisions.md").read_text(encoding="utf-8")
    ids = re.findall(r"^\* <a id=\"[pma]\d+\"></a>\*\*([PMA]\d+)\*\*", text, re.MULTILINE)
    assert len(ids) >= 40
    for decision in ids:
        url = links.decision_url(decision)
        assert url.split("#")[1] in anchors(page(site, url)), decision


def test_every_finding_code_link_lands_on_its_anchor(site):
    codes = [row["id"] for row in load_hooks().finding_codes()]
    assert {"CWF101", "CWF104", "CWF201"} <= set(codes)
    for code in codes:
        url = links.code_url(code)
        assert url.split("#")[1] in anchors(page(site, url)), code


def test_cli_reference_has_every_command_and_option(site):
    html = page(site, f"{links.DOCS_URL}reference/cli/")
    found = anchors(html)
    hooks = load_hooks()
    paths = hooks.command_names()
    assert ["cwfilter", "rules", "cis"] in paths and ["cwfilter", "schema"] in paths
    for path in paths[1:]:
        assert "-".join(path[1:]) in found, path
    # every option of every command, by its long name
    for option in ("run-output", "run-follow", "test-events-json", "check-strict", "rules-cis-version",
                   "unit-junit-xml", "schema-kind"):
        assert option in found, option
    for path in paths[1:]:
        done = subprocess.run([str(Path(sys.executable).parent / "cwfilter"), *path[1:], "--help"],
                              capture_output=True, text=True, env={"COLUMNS": "200", "NO_COLOR": "1"}, check=False)
        for long_name in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", done.stdout):
            if long_name != "--help":
                assert f"<code>{long_name}</code>" in html, (path, long_name)


def test_published_schemas_are_the_commands_output(site):
    for kind in KINDS:
        published = json.loads((site / "schema" / f"{kind}.json").read_text(encoding="utf-8"))
        assert published == schema(kind)
        assert published["$id"] == f"{links.DOCS_URL}schema/{kind}.json"


def test_messages_cite_decisions_by_their_address():
    """A message citing a decision carries its address on the site, never a bare document name."""
    from cwfilter.engine.authoring.lint import lint_pattern

    (finding,) = lint_pattern('{ $.level != "DEBUG" }')
    assert f"(P10: {links.DOCS_URL}reference/decisions/#p10)" in finding.message
    for path in [*REPO.glob("engine/**/*.py"), *REPO.glob("grammar/**/*.py"), REPO / "cli.py"]:
        for number, text in message_strings(path):
            assert not re.search(r"DECISIONS [PMA]\d", text), f"{path.relative_to(REPO)}:{number}: {text}"


def message_strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module that are not docstrings (comments are not strings)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_link_helpers_refuse_what_the_site_does_not_have():
    assert links.decision_url("A13").endswith("/reference/decisions/#a13")
    assert links.code_url("CWF208").endswith("/reference/findings/#cwf208")
    assert links.cite("P8", "P9") == f"P8, P9: {links.DOCS_URL}reference/decisions/#p8"
    for bad in ("DECISIONS P10", "p10", "Q1"):
        with pytest.raises(ValueError):
            links.decision_url(bad)
    with pytest.raises(ValueError):
        links.code_url("CWF9")


def test_mkdocs_site_url_is_the_one_place():
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "site_url" not in re.sub(r"#.*", "", text)  # set by docs/hooks.py from links.DOCS_URL


def test_ci_runs_the_readmes_test_command_and_builds_the_site():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"```sh\n(python3 -m venv .venv && .venv/bin/pip install -e '\.\[test\]' && (.*?))\n```",
                            readme)[0][1:]
    assert command == ".venv/bin/python -m pytest tests benchmarks --benchmark-disable"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert '"$venv/bin/python"' + command.removeprefix(".venv/bin/python") + "\n" in ci
    assert "mkdocs build --strict" in ci and ".[test,moto,docs]" in ci


def test_pytest_plugin_page_example_runs_from_the_repository_root(tmp_path):
    """The page's pytest example, saved as a test file and run from the repository's root, passes."""
    text = (DOCS / "how-to" / "pytest-plugin.md").read_text(encoding="utf-8")
    (block,) = [b.split("```")[0] for b in text.split("```python\n")[1:] if "cwfilter_simulation" in b and ">>>" not in b]
    test_file = tmp_path / "test_from_the_docs.py"
    test_file.write_text(block, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
