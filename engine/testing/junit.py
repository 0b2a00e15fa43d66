"""JUnit XML for scenario results, as CI systems (Jenkins, GitLab) read it.

Characters XML 1.0 cannot hold are written as visible escapes (``\\x1b``), so that strict parsers
accept the file whatever a test name or an event holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from xml.etree import ElementTree

from ..errors import ConfigIssue
from .simulation import TestResult

__all__ = ["junit_xml", "xml_text"]


def junit_xml(results: Sequence[TestResult], errors: Mapping[str, Sequence[ConfigIssue]] | None = None) -> str:
    """JUnit XML for CI systems: one ``<testsuite>`` per scenario file, one ``<testcase>`` per test.

    A file that could not be loaded is a suite with one ``<testcase>`` holding an ``<error>``
    with every issue.
    """
    errors = errors or {}
    files: dict[str, list[TestResult]] = {}
    for r in results:
        files.setdefault(r.file, []).append(r)
    for name in errors:
        files.setdefault(name, [])
    root = ElementTree.Element("testsuites", name="cwfilter unit")
    total = failed = errored = 0
    seconds = 0.0
    for name, items in files.items():
        issues = errors.get(name, ())
        suite = ElementTree.SubElement(root, "testsuite", name=name)
        classname = re.sub(r"\.ya?ml$", "", name).replace("/", ".").replace("\\", ".").strip(".")
        n_fail = sum(1 for r in items if not r.passed)
        time_s = sum(r.seconds for r in items)
        for r in items:
            case = ElementTree.SubElement(suite, "testcase", classname=classname, name=r.name,
                                          file=r.file, time=f"{r.seconds:.6f}")
            if r.line is not None:
                case.set("line", str(r.line))
            if not r.passed:
                count = len(r.failures)
                failure = ElementTree.SubElement(
                    case, "failure", type="AssertionError",
                    message=f"{count} expectation{'s' if count != 1 else ''} failed")
                failure.text = r.report()
        if issues:
            case = ElementTree.SubElement(suite, "testcase", classname=classname, name="(load)", file=name,
                                          time="0")
            error = ElementTree.SubElement(case, "error", type="ScenarioError",
                                           message=f"invalid scenario file ({len(issues)} problems)")
            error.text = "\n".join(str(i) for i in issues)
        suite.set("tests", str(len(items) + (1 if issues else 0)))
        suite.set("failures", str(n_fail))
        suite.set("errors", str(1 if issues else 0))
        suite.set("skipped", "0")
        suite.set("time", f"{time_s:.6f}")
        total += len(items) + (1 if issues else 0)
        failed += n_fail
        errored += 1 if issues else 0
        seconds += time_s
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", str(errored))
    root.set("time", f"{seconds:.6f}")
    for element in root.iter():  # names, messages and events may hold anything
        element.text = xml_text(element.text) if element.text else element.text
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


# Characters XML 1.0 cannot hold, even escaped (its Char production): C0 controls other than tab,
# LF and CR, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 cannot hold written as a visible escape (``\\x1b``,
    ``\\ufffe``), so that strict parsers (Jenkins, GitLab) read the file."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
