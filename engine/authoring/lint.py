"""Lint: warnings with stable codes for filter patterns that are valid but probably wrong.

`lint_pattern(text)` returns `Finding`s, each with a code from `RULES`, a message saying what the
service will do and what to write instead, and the span of the pattern it is about. The codes are
stable: scripts may filter on them (``cwfilter lint --ignore CWF104``), and `cwfilter check`
reports them as warnings of each filter's ``filterPattern``.

| code | what |
|---|---|
| CWF101 | a ``?`` term mixed with plain or ``-`` terms is ignored (DECISIONS P2) |
| CWF102 | a ``-`` or ``?`` inside an unquoted word splits it into several terms (P3, P17) |
| CWF103 | the pattern matches every event, although it is not the empty pattern (P4, P17, P18) |
| CWF104 | ``!=`` is false when the field is missing (P10) |
| CWF105 | a wildcard on a number-like value matches text, not numbers (P8, P9) |
| CWF106 | a regex that a plain term, a wildcard or a quoted value would do (P6, P7) |
| CWF107 | a quoted number is compared as text with a JSON number (P9) |
| CWF108 | ``!=`` on a wildcard selector holds when *some* value differs (P20) |
| CWF109 | a JSON pattern that became a term pattern (quotes, text before ``{``) matches nothing |

CWF104 stays quiet on the fields CloudTrail sets in every record (`CLOUDTRAIL_ALWAYS`) when the
pattern is about CloudTrail records, and reports every such ``!=`` of a pattern in one finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...grammar import nodes, parse, unparse
from ...grammar.printer import quote
from ..codes import LINT, codes
from ..events import number_text
from ..links import cite
from ..matching.regex import compile_regex
from .explain import hyphen_runs

__all__ = ["RULES", "Finding", "check_config_with_lint", "lint_pattern", "lint_tree"]

WARNING = "warning"

#: Every lint code, with a one-line title and the decisions it rests on (from `engine.codes`).
RULES: dict[str, tuple[str, str]] = {k: (c.short, c.decisions) for k, c in codes(LINT).items()}


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint warning about a pattern.

    Attributes:
        code: the stable code (a key of `RULES`).
        message: what the service does with this pattern, and what to write instead.
        pattern: the whole pattern text.
        start, end: 0-based offsets of the part of the pattern it is about (end > start).
        suggestion: a corrected pattern, when one is certain to mean what was meant.
        severity: always ``"warning"``: a finding never makes a pattern invalid.
    """

    code: str
    message: str
    pattern: str
    start: int
    end: int
    suggestion: str | None = None
    severity: str = WARNING

    @property
    def column(self) -> int:
        """1-based column of the start."""
        return self.start + 1

    def __str__(self) -> str:
        shown = "".join(" " if c in "\t\r\n" else c for c in self.pattern)
        width = max(1, min(self.end, len(self.pattern) + 1) - self.start)
        text = f"{self.code} {self.message} (column {self.column})\n  {shown}\n  {' ' * self.start}{'^' * width}"
        if self.suggestion is not None:
            text += f"\n  suggestion: {self.suggestion}"
        return text

    def to_json(self) -> dict:
        out = {"code": self.code, "severity": self.severity, "message": self.message,
               "start": self.start, "end": self.end, "column": self.column}
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        return out


def lint_pattern(text: str, ignore: Iterable[str] = ()) -> list[Finding]:
    """Lint a filter pattern.

    Args:
        text: the pattern text.
        ignore: codes to leave out (``CWF104`` ...).

    Returns:
        The findings, ordered by position, then code.

    Raises:
        PatternError: the pattern is invalid (lint only looks at valid patterns).
        ValueError: `ignore` names a code that does not exist.
    """
    return lint_tree(parse(text), text, ignore)


def lint_tree(tree: nodes.Pattern, text: str, ignore: Iterable[str] = ()) -> list[Finding]:
    """`lint_pattern` for an already parsed pattern; `text` is the text it was parsed from."""
    skip = set(ignore)
    unknown = skip - set(RULES)
    if unknown:
        raise ValueError(f"unknown lint code {', '.join(sorted(unknown))}; the codes are {', '.join(RULES)}")
    found: list[Finding] = []
    if isinstance(tree, nodes.TermPattern):
        found.extend(_terms(tree, text))
    elif isinstance(tree, nodes.RegexPattern):
        found.extend(_regex_pattern(tree, text))
    elif isinstance(tree, nodes.JsonPattern):
        found.extend(_json(tree, text))
    elif isinstance(tree, nodes.DelimitedPattern):
        found.extend(_delimited(tree, text))
    found = [f for f in found if f.code not in skip]
    found.sort(key=lambda f: (f.start, f.code))
    return found


def _span(node) -> tuple[int, int]:
    span = node.span
    return span.start, max(span.end, span.start + 1)


# --------------------------------------------------------------------------- terms


def _terms(tree: nodes.TermPattern, text: str) -> list[Finding]:
    out: list[Finding] = []
    terms = tree.terms
    includes = [t for t in terms if t.kind == "include"]
    excludes = [t for t in terms if t.kind == "exclude"]
    optionals = [t for t in terms if t.kind == "optional"]
    if (includes or excludes) and optionals:
        rest = " ".join(unparse(t) for t in terms if t.kind != "optional")
        for term in optionals:
            start, end = _span(term)
            out.append(Finding(
                "CWF101",
                f"{unparse(term)} is ignored: a pattern that mixes ? terms with plain or - terms "
                f"ignores every ? term, so the pattern means {rest} ({cite('P2')})",
                text, start, end))
    for raw, parts in hyphen_runs(tree, text):
        start = parts[0].span.start + (0 if parts[0].kind == "include" else 1)
        end = parts[-1].span.end
        fixed = text[:start] + quote(raw) + text[end:]
        operator = "-" if any(t.kind == "exclude" for t in parts[1:]) else "?"
        role = "an excluded term" if operator == "-" else "an optional term"
        out.append(Finding(
            "CWF102",
            f"{raw} is read as {' '.join(unparse(t) for t in parts)}: a {operator} inside an unquoted "
            f"word starts {role} ({cite('P3')}); quote the word to search for it as written",
            text, start, end, suggestion=fixed))
    jsonish = _json_as_terms(text)
    if jsonish is not None:
        out.append(jsonish)
    if terms and _terms_match_everything(tree):
        out.append(Finding(
            "CWF103",
            "this pattern matches every event: a quoted term made only of whitespace is present "
            f"in every event ({cite('P17')}); write an empty pattern if that is meant",
            text, 0, max(1, len(text))))
    return out


_JSONISH_RE = re.compile(r"\{\s*\(*\s*\$[.\[]")


def _json_as_terms(text: str) -> Finding | None:
    """CWF109: a term pattern holding what reads as a JSON pattern (quoted, or after other text)."""
    m = _JSONISH_RE.search(text.replace('\\"', '"'))
    if m is None:
        return None
    inner = text.replace('\\"', '"')
    start, end = inner.find("{"), inner.rfind("}")
    candidate = inner[start:end + 1] if end > start else None
    suggestion = None
    if candidate is not None:
        try:
            if isinstance(parse(candidate), nodes.JsonPattern):
                suggestion = candidate
        except (ValueError, TypeError):
            suggestion = None
    return Finding(
        "CWF109",
        "this is a term pattern, not a JSON pattern: a JSON pattern must start with '{' and end with "
        "'}' (quotes, text before '{' or after '}' make it a search for the literal text), so it "
        "matches no JSON event such as a CloudTrail record" + ("" if suggestion else "; write it as { $.field = value }"),
        text, 0, max(1, len(text)), suggestion=suggestion)


def _blank(term: nodes.Term) -> bool:
    return term.quoted and nodes.is_blank(term.text)


def _terms_match_everything(tree: nodes.TermPattern) -> bool:
    includes = [t for t in tree.terms if t.kind == "include"]
    excludes = [t for t in tree.terms if t.kind == "exclude"]
    optionals = [t for t in tree.terms if t.kind == "optional"]
    if includes or excludes:
        return not excludes and all(_blank(t) for t in includes)
    return any(_blank(t) for t in optionals)


# --------------------------------------------------------------------------- regexes

# Text that a regex could never miss: probes for "matches every event" (events are never empty).
_PROBES = ("x", "ERROR 500 GET /index.html", '{"level": "INFO"}', "\t", "日本語", "a\nb", "0")

# A literal character of a service regex (DECISIONS P6): alphanumerics, `: _ # = @ / ; , -` and
# space, or an escaped punctuation character or space.
_LITERAL_RE = re.compile(r"(?:[A-Za-z0-9:_#=@/;, -]|\\[^A-Za-z0-9])+")
_UNESCAPE = re.compile(r"\\(.)")


def _literal_of(source: str) -> tuple[str, bool, bool] | None:
    """``(text, anchored_start, anchored_end)`` when the regex is plain text, else None."""
    start = source.startswith("^")
    body = source[1:] if start else source
    end = body.endswith("$") and not body.endswith("\\$")
    if end:
        body = body[:-1]
    if not body or _LITERAL_RE.fullmatch(body) is None:
        return None
    return _UNESCAPE.sub(r"\1", body), start, end


def _matches_everything(regex: nodes.Regex, text: str) -> bool:
    search = compile_regex(regex, text)
    return all(search(probe) for probe in _PROBES)


def _regex_pattern(tree: nodes.RegexPattern, text: str) -> list[Finding]:
    regex = tree.regex
    start, end = _span(tree)
    if _matches_everything(regex, text):
        return [Finding(
            "CWF103",
            f"the regex {unparse(regex)} matches every event (it finds an empty match anywhere, "
            f"{cite('P18')}); write an empty pattern if that is meant",
            text, start, end)]
    literal = _literal_of(regex.source)
    if literal is None:
        return []
    words, anchored_start, anchored_end = literal
    if anchored_start or anchored_end or nodes.is_blank(words):
        return []  # terms cannot anchor; a blank quoted term would match everything (P17)
    term = words if re.fullmatch(r"[A-Za-z0-9_]+", words) else quote(words)
    return [Finding(
        "CWF106",
        f"the regex {unparse(regex)} searches for plain text: the term {term} does the same, "
        f"without counting toward the 5 regex filters a log group may have ({cite('P6', 'P7')})",
        text, start, end, suggestion=term)]


def _value_regex(regex: nodes.Regex, text: str, where: str) -> Finding | None:
    """CWF106 for a ``= %regex%`` value of a JSON or space-delimited condition."""
    if regex.span.end <= regex.span.start:
        return None
    literal = _literal_of(regex.source)
    if literal is None:
        return None
    words, anchored_start, anchored_end = literal
    if "*" in words:
        return None  # a wildcard cannot match a literal `*` (DECISIONS P8)
    if anchored_start and anchored_end:
        replacement = quote(words)
    elif anchored_start:
        replacement = quote(words + "*")
    elif anchored_end:
        return None  # `*x` is not "ends with x" under P8's leftmost rule
    else:
        replacement = quote("*" + words + "*")
    start, end = _span(regex)
    fixed = text[:start] + replacement + text[end:]
    return Finding(
        "CWF106",
        f"the regex {unparse(regex)} in {where} only looks for plain text: {replacement} does the "
        "same without a regex, and regexes are limited to 2 per pattern and 5 filters per log "
        f"group ({cite('P7', 'P8')})",
        text, start, end, suggestion=fixed)


# --------------------------------------------------------------------------- values


_NUMBERISH = re.compile(r"[0-9.eE+-]*[0-9][0-9.eE+-]*")


def _numeric_wildcard(value: nodes.Literal) -> bool:
    pieces = [p for p in value.text.split("*") if p]
    return bool(pieces) and all(_NUMBERISH.fullmatch(p) for p in pieces)


def _wildcard_finding(value: nodes.Literal, text: str, json_value: bool) -> Finding:
    start, end = _span(value)
    shown = unparse(value)
    extra = ("; JSON numbers are matched on their canonical text (1e3 as 1000.0, 1.50 as 1.5)"
             if json_value else "")
    return Finding(
        "CWF105",
        f"the wildcard {shown} compares text, not numbers: it matches any value whose text fits, "
        f"whatever the number ({cite('P8', 'P9')}){extra}; use <, <=, >, >= to compare numbers",
        text, start, end)


def _quoted_number_finding(value: nodes.Literal, text: str) -> Finding:
    t = value.text
    number = float(t)
    canonical_float = number_text(number)
    if re.fullmatch(r"-?(?:0|[1-9][0-9]*)", t) and t != "-0":
        detail = f"the integer {t} matches, {canonical_float} does not"
    elif t == canonical_float:
        detail = f"{t} matches, and so does no other spelling of the number"
        if number.is_integer() and abs(number) < 1e16:
            detail = f"{t} matches, the integer {int(number)} does not"
    else:
        detail = f"no JSON number is ever written as {t} (the number {t} reads as {canonical_float})"
    start, end = _span(value)
    return Finding(
        "CWF107",
        f"{unparse(value)} is quoted, so it is compared as text with a JSON number's canonical "
        f"text: {detail} ({cite('P9')}); write {t} unquoted to compare numbers",
        text, start, end, suggestion=text[:start] + t + text[end:])


# --------------------------------------------------------------------------- JSON


# Fields CloudTrail writes in every record (CloudTrail record contents, "CloudTrail record
# contents for management, data, and network activity events"), and fields it writes in every
# record of an event a pattern asks for: a != on them cannot meet a missing field.
CLOUDTRAIL_ALWAYS = frozenset({
    "$.eventVersion", "$.eventTime", "$.eventSource", "$.eventName", "$.awsRegion", "$.sourceIPAddress",
    "$.userAgent", "$.eventID", "$.eventType", "$.recipientAccountId", "$.userIdentity.type",
    "$.eventCategory", "$.managementEvent",
})
_CLOUDTRAIL_BY_EVENT = {"$.additionalEventData.MFAUsed": "ConsoleLogin",
                        "$.responseElements.ConsoleLogin": "ConsoleLogin"}
_CLOUDTRAIL_MARKERS = frozenset({"$.eventName", "$.eventSource", "$.errorCode", "$.eventType"})


def _always_present(selector: str, conditions: list) -> bool:
    selectors = {c.selector.text for c in conditions if hasattr(c, "selector")}
    if not selectors & _CLOUDTRAIL_MARKERS and not any(s.startswith("$.userIdentity.") for s in selectors):
        return False  # not a pattern about CloudTrail records
    if selector in CLOUDTRAIL_ALWAYS:
        return True
    event = _CLOUDTRAIL_BY_EVENT.get(selector)
    return event is not None and any(
        isinstance(c, nodes.JsonCompare) and c.op == "=" and c.selector.text == "$.eventName"
        and not isinstance(c.value, nodes.Regex) and c.value.text == event for c in conditions)


def _json(tree: nodes.JsonPattern, text: str) -> list[Finding]:
    out: list[Finding] = []
    conditions = list(nodes.iter_conditions(tree.expr))
    guarded = {c.selector.text for c in conditions if isinstance(c, nodes.JsonNotExists)}
    unguarded: list = []
    for cond in conditions:
        if not isinstance(cond, nodes.JsonCompare):
            continue
        sel, value = cond.selector, cond.value
        start, end = _span(cond)
        if cond.op == "!=":
            if sel.wildcards:
                out.append(Finding(
                    "CWF108",
                    f"{unparse(cond)} holds when some value that {sel.text} reaches differs from "
                    f"{unparse(value)}, even when another one equals it ({cite('P20')})",
                    text, start, end))
            elif sel.text not in guarded and not _always_present(sel.text, conditions):
                unguarded.append(cond)
        if isinstance(value, nodes.Regex):
            if cond.op == "=":
                finding = _value_regex(value, text, sel.text)
                if finding is not None:
                    out.append(finding)
            continue
        if value.has_wildcard and _numeric_wildcard(value):
            out.append(_wildcard_finding(value, text, json_value=True))
        elif value.quoted and nodes.is_number_text(value.text):
            out.append(_quoted_number_finding(value, text))
    if unguarded:
        out.append(_missing_field_finding(unguarded, text))
    return out


def _missing_field_finding(conds: list, text: str) -> Finding:
    """One CWF104 for every unguarded ``!=`` of a pattern, with one suggestion fixing them all."""
    fixed = text
    for cond in sorted(conds, key=lambda c: _span(c)[0], reverse=True):
        start, end = _span(cond)
        fixed = fixed[:start] + f"({unparse(cond)} || {cond.selector.text} NOT EXISTS)" + fixed[end:]
    start, end = _span(conds[0])
    if len(conds) == 1:
        sel = conds[0].selector.text
        message = (f"{unparse(conds[0])} is false when {sel} is missing ({cite('P10')}); add "
                   f"'|| {sel} NOT EXISTS' if events without it should match")
    else:
        listed = ", ".join(unparse(c) for c in conds)
        message = (f"{listed}: each is false when its field is missing ({cite('P10')}); add "
                   "'|| FIELD NOT EXISTS' to each if events without the field should match")
        end = _span(conds[-1])[1]
    return Finding("CWF104", message, text, start, end, suggestion=fixed)


# --------------------------------------------------------------------------- space-delimited


def _delimited(tree: nodes.DelimitedPattern, text: str) -> list[Finding]:
    out: list[Finding] = []
    for slot in tree.slots:
        if not isinstance(slot, nodes.Slot) or slot.condition is None:
            continue
        name = f"${slot.name}" if slot.name else "the last field"
        for cmp in nodes.iter_slot_compares(slot.condition):
            value = cmp.value
            if isinstance(value, nodes.Regex):
                if cmp.op == "=":
                    finding = _value_regex(value, text, name)
                    if finding is not None:
                        out.append(finding)
            elif value.has_wildcard and _numeric_wildcard(value):
                out.append(_wildcard_finding(value, text, json_value=False))
    return out


# --------------------------------------------------------------------------- configs


def check_config_with_lint(paths: Sequence[str | Path], ignore: Iterable[str] = (), *,
                           parsed: Mapping[str, Sequence[object]] | None = None) -> list:
    """`engine.config.check_config`, plus a lint warning for each finding in each valid pattern.

    Every file is read once (standard input included). The lint warnings come after the other
    issues, each at its filter's ``filterPattern`` with file and line, its message holding the
    code, the column and a caret line.

    `parsed` is passed on to `check_config_sites`: documents already read, by file name.

    Returns:
        A list of `ConfigIssue`.

    Raises:
        ValueError: `ignore` names a code that does not exist.
    """
    from ..config.native import check_config_sites

    skip = set(ignore)
    if skip - set(RULES):
        raise ValueError(f"unknown lint code {', '.join(sorted(skip - set(RULES)))}; the codes are {', '.join(RULES)}")
    # The config checks read the files; each filter's site places the warnings where the
    # errors would be.
    issues, sites = check_config_sites(paths, parsed=parsed)
    for site in sites:
        try:
            findings = lint_pattern(site.pattern, skip)
        except (ValueError, TypeError):
            continue  # an invalid pattern is already an error of check_config
        for finding in findings:
            issues.append(site.issue(str(finding), WARNING, finding.code))
    return issues
