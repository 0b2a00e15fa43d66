"""Where the documentation lives, and the address of each thing a message can cite.

The one place that names the documentation site: messages, SARIF's ``helpUri`` and the published
JSON Schemas all link through these functions, and the site's own build reads `DOCS_URL` (its
``site_url``), so every link lands on an anchor that exists.
"""

from __future__ import annotations

import re

# The documentation site (built from docs/ with `mkdocs build`). Change it here only.
DOCS_URL = "https://cwfilter.github.io/cwfilter/"

_DECISION_RE = re.compile(r"[PMA]\d+")
_CODE_RE = re.compile(r"CWF\d{3}|service-validation")


def decision_url(decision: str) -> str:
    """The page and anchor of a known difference or choice: ``P10`` -> ``.../reference/decisions/#p10``."""
    if not _DECISION_RE.fullmatch(decision):
        raise ValueError(f"not a decision id: {decision!r}")
    return f"{DOCS_URL}reference/decisions/#{decision.lower()}"


def code_url(code: str) -> str:
    """The page and anchor of a finding code: ``CWF104`` -> ``.../reference/findings/#cwf104``."""
    if not _CODE_RE.fullmatch(code):
        raise ValueError(f"not a finding code: {code!r}")
    return f"{DOCS_URL}reference/findings/#{code.lower()}"


def cite(*decisions: str) -> str:
    """How a message cites decisions: their ids and the address of the first, which the others
    sit next to (``P8, P9: https://.../reference/decisions/#p8``)."""
    return f"{', '.join(decisions)}: {decision_url(decisions[0])}"
