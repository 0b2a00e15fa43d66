"""Build the package's Lark parsers, with their LALR tables cached per user.

Analysing a grammar into LALR tables takes longer than starting the interpreter, and every
`cwfilter` command that reads a pattern would pay for it. Lark can save the analysed parser and
load it back (its ``cache`` option): the file carries a digest of the grammar text, the options
and the Lark version, and Lark rebuilds it whenever one of them changes.

The cache lives in the user's own cache folder (``$XDG_CACHE_HOME/cwfilter``, else
``~/.cache/cwfilter``), never in a shared temporary folder: Lark's cache is a pickle, and a file
someone else could plant must not be loaded. ``CWFILTER_NO_CACHE=1`` turns it off; so does a
folder that cannot be created, in which case the tables are built in memory as before.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

from lark import Lark


def cache_dir() -> Path | None:
    """The folder for cached parser tables, created private to the user; None when unusable."""
    if os.environ.get("CWFILTER_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "cwfilter"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
            return None  # not ours: do not load pickles from it
    except OSError:
        return None
    return folder


def load_grammar(package: str, filename: str, **options) -> Lark:
    """A LALR `Lark` parser for the grammar file `filename` of `package`, cached when possible."""
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    folder = cache_dir()
    if folder is not None:
        # One file per grammar and Python version; Lark checks the digest inside it.
        stem = filename.rsplit(".", 1)[0]
        options["cache"] = str(folder / f"{stem}-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache")
    return Lark(text, parser="lalr", **options)
