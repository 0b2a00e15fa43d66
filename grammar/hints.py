"""Hints for the mistakes people make most when writing filter patterns.

An error says exactly what is wrong where; a hint says what the writer most likely meant. Each
rule looks at the error and the pattern text around it, and answers with one line or None.
"""

from __future__ import annotations

import re

from .errors import TextError

_WORD = re.compile(r"[A-Za-z_][\w-]*")
_SINGLE_QUOTED = re.compile(r"(?:^|[\s=<>!(\[,])('[^'\n]*')")


def hint_for(error: TextError) -> str | None:
    """One line naming the likely intended pattern, or None when no common mistake fits."""
    text, start = error.text, error.start
    for rule in (_double_equals, _keyword_operator, _bare_field, _regex_group, _alternation, _single_quotes):
        found = rule(text, start, error.message)
        if found:
            return found
    return None


def _before(text: str, start: int) -> str:
    """The nearest non-blank character before `start`."""
    return text[:start].rstrip(" \t")[-1:]


def _double_equals(text: str, start: int, message: str) -> str | None:
    if text[start:start + 1] == "=" and _before(text, start) == "=":
        return "compare with a single '=' (there is no '=='): $.level = \"ERROR\""
    return None


def _keyword_operator(text: str, start: int, message: str) -> str | None:
    word = _WORD.match(text, start)
    if word and word.group().upper() in ("AND", "OR") and text[:1] in "{[":
        op = "&&" if word.group().upper() == "AND" else "||"
        return f"join conditions with '&&' and '||': write '{op}' for '{word.group()}'"
    return None


def _bare_field(text: str, start: int, message: str) -> str | None:
    word = _WORD.match(text, start)
    if word and text[:1] == "{" and "selector" in message:
        return f"a JSON field is written as a selector starting with '$.': $.{word.group()}"
    return None


def _regex_group(text: str, start: int, message: str) -> str | None:
    if text[:1] == "%" and text[start:start + 1] in "()":
        inner = text[1:-1]
        if inner.startswith("(") and inner.endswith(")") and "(" not in inner[1:-1] and ")" not in inner[1:-1]:
            return f"a regex cannot hold parentheses: %{inner[1:-1]}% needs none"
        return r"a regex cannot hold parentheses: write \x28 and \x29 for literal ones"
    return None


def _alternation(text: str, start: int, message: str) -> str | None:
    if text[:1] not in "%{[" and message.startswith("Invalid character(s) in term") and "|" in message:
        words = [w for w in re.split(r"\|+", message.split("'", 1)[1].rsplit("'", 1)[0]) if w]
        if len(words) > 1:
            any_of = " ".join(f"?{w}" for w in words)
            return f"to match any of several terms write {any_of} (or a regex: %{'|'.join(words)}%)"
    return None


def _single_quotes(text: str, start: int, message: str) -> str | None:
    found = _SINGLE_QUOTED.search(text)
    if found and "['" not in text:  # $.['key'] is the one place single quotes belong
        inner = found.group(1)[1:-1]
        return f"quote values with double quotes: \"{inner}\" (single quotes are not quotes in filter patterns)"
    return None
