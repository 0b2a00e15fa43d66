"""MkDocs hooks: the parts of the site generated from cwfilter itself, so that they cannot drift.

* ``<!-- cwfilter:cli -->`` becomes the reference of every command, argument and option, read
  from the command tree of the CLI (the same objects ``--help`` prints).
* ``<!-- cwfilter:findings -->`` becomes the table of finding codes, one anchor per code.
* ``site_url`` is `cwfilter.engine.links.DOCS_URL`, the address messages link to.
* The JSON Schemas of ``cwfilter schema`` are published as ``schema/config.json`` and
  ``schema/scenario.json``, the addresses their ``$id`` names.

`cli_reference` and `findings_table` are plain functions; the tests call them too.
"""

from __future__ import annotations

import json

import typer.main

CLI_MARK = "<!-- cwfilter:cli -->"
FINDINGS_MARK = "<!-- cwfilter:findings -->"


# --------------------------------------------------------------------------- CLI reference


def _command_tree():
    from cwfilter.cli import app

    return typer.main.get_command(app)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(path: list[str], name: str = "") -> str:
    slug = "-".join(path[1:]) or "cwfilter"
    return f"{slug}-{name.lstrip('-')}" if name else slug


# Typer may carry its own copy of click: the command tree is read by duck typing, not isinstance.


def _is_option(param) -> bool:
    return param.param_type_name == "option"


def _is_group(cmd) -> bool:
    return hasattr(cmd, "list_commands")


def _context(cmd, name: str, parent):
    return cmd.context_class(cmd, info_name=name, parent=parent)


def _describe(param) -> str:
    parts = [getattr(param, "help", None) or ""]
    if hasattr(param.type, "choices"):
        parts.append("One of: " + ", ".join(f"`{c}`" for c in param.type.choices) + ".")
    default = param.default
    if _is_option(param) and not param.is_flag and default not in (None, (), [], False):
        shown = getattr(default, "value", default)
        parts.append(f"Default: `{shown}`.")
    repeatable = getattr(param, "multiple", False) or (not _is_option(param) and param.nargs == -1)
    if repeatable and "repeatable" not in parts[0].lower():
        parts.append("Repeatable.")
    return _cell(" ".join(p for p in parts if p))


def _command_section(cmd, path: list[str], parent) -> list[str]:
    ctx = _context(cmd, path[-1], parent)
    name = " ".join(path)
    level = "#" * min(len(path), 4)
    out = [f"{level} `{name}` {{#{_anchor(path)}}}", ""]
    usage = " ".join([name, *cmd.collect_usage_pieces(ctx)])
    out += ["```", usage, "```", ""]
    if cmd.help:
        out += [cmd.help.strip().replace("\b\n", ""), ""]
    args = [p for p in cmd.params if not _is_option(p)]
    opts = [p for p in cmd.params if _is_option(p) and not p.hidden]
    if args:
        out += ["| argument | meaning |", "|---|---|"]
        for p in args:
            meta = p.make_metavar(ctx) if _takes_ctx(p.make_metavar) else p.make_metavar()
            out.append(f"| <span id=\"{_anchor(path, p.name)}\"></span>`{meta}` | {_describe(p)} |")
        out.append("")
    if opts:
        out += ["| option | meaning |", "|---|---|"]
        for p in opts:
            names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            if not p.is_flag and p.metavar:
                names += f" `{p.metavar}`"
            elif not p.is_flag and not hasattr(p.type, "choices"):
                names += f" `{p.type.name.upper()}`"
            out.append(f"| <span id=\"{_anchor(path, p.opts[0])}\"></span>{names} | {_describe(p)} |")
        out.append("")
    if _is_group(cmd):
        for sub_name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                out += _command_section(sub, [*path, sub_name], ctx)
    return out


def _takes_ctx(method) -> bool:
    import inspect

    return "ctx" in inspect.signature(method).parameters


def cli_reference() -> str:
    """Markdown for every command of `cwfilter`, its usage, help text, arguments and options."""
    root = _command_tree()
    ctx = _context(root, "cwfilter", None)
    out: list[str] = []
    for name in root.list_commands(ctx):
        cmd = root.get_command(ctx, name)
        if cmd is not None and not cmd.hidden:
            out += _command_section(cmd, ["cwfilter", name], ctx)
    return "\n".join(out)


def command_names() -> list[list[str]]:
    """Every command path (``["cwfilter", "rules", "cis"]``) and its option names, for the tests."""
    found = []

    def walk(cmd, path: list[str], parent) -> None:
        ctx = _context(cmd, path[-1], parent)
        found.append(path)
        if _is_group(cmd):
            for sub in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, sub), [*path, sub], ctx)

    walk(_command_tree(), ["cwfilter"], None)
    return found


# --------------------------------------------------------------------------- findings


def finding_codes() -> list[dict]:
    """Every finding code with its severity, name and meaning (from the engine's own tables)."""
    try:
        from cwfilter.engine.codes import REGISTRY
    except ImportError:
        REGISTRY = None
    if REGISTRY is not None:
        return [{"id": c.id, "severity": c.severity, "name": c.name, "meaning": c.full or c.short,
                 "decisions": c.decisions} for c in REGISTRY.values()]
    from cwfilter.engine.authoring.lint import RULES
    from cwfilter.engine.config.sources.model import CODES

    rows = [{"id": code, "severity": "warning", "name": name, "meaning": text, "decisions": ""}
            for code, (name, text) in RULES.items()]
    rows += [{"id": code, "severity": sev, "name": name, "meaning": text, "decisions": ""}
             for code, (sev, name, text) in CODES.items()]
    return rows


def findings_table() -> str:
    from cwfilter.engine.links import decision_url

    out = ["| code | severity | name | meaning |", "|---|---|---|---|"]
    for row in finding_codes():
        meaning = _cell(row["meaning"])
        ids = [d.strip() for d in row["decisions"].split(",") if d.strip()]
        if ids:
            links = ", ".join(f"[{d}](decisions.md#{d.lower()})" for d in ids)
            meaning += f" ({links})"
            assert all(decision_url(d) for d in ids)
        out.append(f"| <span id=\"{row['id'].lower()}\"></span>`{row['id']}` | {row['severity']} | "
                   f"`{row['name']}` | {meaning} |")
    return "\n".join(out)


# --------------------------------------------------------------------------- MkDocs events


def on_config(config, **kwargs):
    from cwfilter.engine.links import DOCS_URL

    config["site_url"] = DOCS_URL
    return config


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if CLI_MARK in markdown:
        markdown = markdown.replace(CLI_MARK, cli_reference())
    if FINDINGS_MARK in markdown:
        markdown = markdown.replace(FINDINGS_MARK, findings_table())
    return markdown


def on_files(files, config, **kwargs):
    """Add the JSON Schemas of `cwfilter schema` to the site, where their ``$id`` points."""
    from cwfilter.engine.schema import KINDS, schema
    from mkdocs.structure.files import File

    for kind in KINDS:
        files.append(File.generated(config, f"schema/{kind}.json",
                                    content=json.dumps(schema(kind), indent=2) + "\n"))
    return files
