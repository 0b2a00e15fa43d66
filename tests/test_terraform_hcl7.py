"""Reading ``.tf`` files with python-hcl2 7: each value reaches the evaluator as python-hcl2 8 gives it.

python-hcl2 7's own dictionaries lose quotes and escapes inside expressions; `hcl7` takes each
value from the source text instead. Each case is evaluated and compared with the value Terraform
gives (``terraform console``). Runs only where python-hcl2 7 is installed.
"""

from __future__ import annotations

import textwrap

import hcl2
import pytest
from cwfilter.engine.config.sources import hcl7
from cwfilter.engine.config.sources.hclexpr import Scope, evaluate
from cwfilter.engine.config.sources.model import Unresolved

pytestmark = pytest.mark.skipif(hasattr(hcl2, "SerializationOptions"), reason="python-hcl2 8 is installed")


def locals_of(text: str) -> dict:
    [block] = hcl7.loads(textwrap.dedent(text))["locals"]
    scope = Scope({"env": "prod", "names": ["a", "b"], "m": {"x": "1", "y": "2"}},
                  lambda name: Unresolved(name, "no locals"), lambda t, n: Unresolved(t, "no resources"))
    return {name: evaluate(raw, scope) for name, raw in block.items()}


def test_expressions_keep_their_strings_escapes_and_objects():
    values = locals_of(r'''
        locals {
          for_list   = [for g in ["a", "b"] : upper(g) if g != "a"]
          for_map    = {for k, v in {a = "1", b = "2"} : k => "${v}x" if k != "a"}
          grouped    = {for s in ["a1", "a2", "b1"] : substr(s, 0, 1) => s...}
          regex      = replace("prod_eu_1", "/(\\w+?)_(\\w+?)_(\\d)/", "$2.$${1}x$3")
          named      = regex("^(?P<env>[a-z]+)-", "stage-7")["env"]
          object_arg = lookup({a = "x", "b c" = "y"}, "b c")
          nested     = join("-", [upper("a"), lower("B"), format("%s=%d", "n", 3)])
          escapes    = "tab\t quote\" back\\ newline\\n unicode \u00e9"
          literal    = "a$${b}c %%{ x }"
          template   = "%{ for n in var.names }[${n}]%{ endfor }%{ if length(var.names) == 2 }!%{ endif }"
          splat      = [for o in [{n = "p"}, {n = "q"}] : o][*].n
          compare    = var.env == "prod" && !(1 > 2) ? 10 * 2 : -1
          commented  = [
            "x", # one
            "y", // two
            /* three */ "z",
          ]
          number     = 1.5e3
        }
        ''')
    assert values == {
        "for_list": ["B"],
        "for_map": {"b": "2x"},
        "grouped": {"a": ["a1", "a2"], "b": ["b1"]},
        "regex": "eu.prodx1",
        "named": "stage",
        "object_arg": "y",
        "nested": "A-b-n=3",
        "escapes": 'tab\t quote" back\\ newline\\n unicode \u00e9',
        "literal": "a${b}c %{ x }",
        "template": "[a][b]!",
        "splat": ["p", "q"],
        "compare": 20,
        "commented": ["x", "y", "z"],
        "number": 1500.0,
    }


def test_heredocs_follow_the_hcl_specification():
    values = locals_of('''\
        locals {
          plain = <<EOT
          { $.a = "x" } \\n ${upper("q")} $${not}
        EOT
          trimmed = <<-EOT
            one

              two "${var.env}"
            EOT
          in_call = jsonencode(<<EOT
        {"k": "${var.env}"}
        EOT
          )
          empty = <<EOT
        EOT
        }
        ''')
    # Backslashes are literal in a heredoc; the value ends with the last line's newline; <<- removes
    # the smallest indentation of the lines that are not blank.
    assert values == {
        "plain": '  { $.a = "x" } \\n Q ${not}\n',
        "trimmed": 'one\n\n  two "prod"\n',
        "in_call": '"{\\"k\\": \\"prod\\"}\\n"',
        "empty": "",
    }


def test_blocks_labels_and_literals_keep_python_hcl2_8s_shape():
    data = hcl7.loads(textwrap.dedent('''\
        variable "x" {
          type    = string
          default = ["a", 1, true, null, {k = "v"}]
        }
        resource "aws_x" "n" {
          dynamic "metric" {
            for_each = var.m
            content { name = metric.value }
          }
        }
        '''))
    assert data == {
        "variable": [{"x": {"type": "string", "default": ['"a"', 1, True, None, {"k": '"v"'}]}}],
        "resource": [{"aws_x": {"n": {"dynamic": [{"metric": {"for_each": "${var.m}",
                                                              "content": [{"name": "${metric.value}"}]}}]}}}],
    }


def test_an_attribute_defined_twice_is_refused():
    with pytest.raises(ValueError, match="a already defined"):
        hcl7.loads("locals {\n  a = 1\n  a = 2\n}\n")


def test_nesting_beyond_the_bound_is_a_recursion_error():
    depth = hcl7.MAX_DEPTH + 10
    with pytest.raises(RecursionError):
        hcl7.loads("locals {\n  a = " + "(" * depth + '"x"' + ")" * depth + "\n}\n")
    shallow = locals_of("locals {\n  a = " + "(" * 50 + '"x"' + ")" * 50 + "\n}\n")
    assert shallow == {"a": "x"}
