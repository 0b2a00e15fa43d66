"""The `cwfilter` command (`python -m cwfilter`): a small front that decides before the CLI loads.

`cwfilter test PATTERN [FILE]...` with text output, the grep-like use, is run here without typer,
with the same reading, output, messages and exit codes as the full command (`cli.test_command`);
a pattern of plain words (``ERROR``, ``ERROR -DEBUG``) is read without Lark too, and its matches
found by block scanning. Anything else, or anything this front is not sure of (another option,
an invalid pattern, an input that cannot be read, a CloudTrail digest among the inputs, a
terminal's table), goes to the full command line in `cli`, which handles it as always.
"""

from __future__ import annotations

import os
import sys

EXIT_MATCH, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2


def main() -> None:
    """Console-script entry point (`cwfilter`)."""
    # The configuration models are the command's own, and looking for pydantic plugins reads the
    # metadata of every installed distribution at each start. A value the user set (even empty,
    # which lets plugins load) is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = sys.argv[1:]
    if args[:1] == ["test"]:
        code = _text_test(args[1:])
        if code is not None:
            raise SystemExit(code)
    from .cli import main as cli_main

    cli_main()


def _test_arguments(args: list[str]) -> tuple[str, list[str], str | None, bool, str] | None:
    """``(pattern, files, output, line_buffered, format)`` as the `test` command reads them, or
    None for anything but these options (help, --events-json, an unknown or incomplete option)."""
    positional: list[str] = []
    output: str | None = None
    fmt = "auto"
    line_buffered = False
    options_end = False
    i = 0
    while i < len(args):
        arg = args[i]
        if options_end or arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg == "--":
            options_end = True
        elif arg == "--line-buffered":
            line_buffered = True
        elif arg in ("-o", "--output", "-f", "--format"):
            if i + 1 == len(args):
                return None
            i += 1
            if arg in ("-o", "--output"):
                output = args[i]
            else:
                fmt = args[i]
        elif arg.startswith("--output="):
            output = arg[len("--output="):]
        elif arg.startswith("--format="):
            fmt = arg[len("--format="):]
        elif arg.startswith("-o"):  # `-otext`, as click reads a short option with its value
            output = arg[2:]
        elif arg.startswith("-f"):
            fmt = arg[2:]
        else:
            return None
        i += 1
    if not positional:
        return None
    return positional[0], positional[1:], output, line_buffered, fmt


def _text_test(args: list[str]) -> int | None:
    """Run `cwfilter test` with text output; None to leave it to the CLI."""
    parsed = _test_arguments(args)
    if parsed is None:
        return None
    pattern, files, output, line_buffered, fmt = parsed
    if output not in (None, "text"):
        return None
    stdout = sys.stdout
    if output is None and stdout.isatty():
        return None  # a table
    from .engine.inputs.scan import bytes_beneath, line_terms, plain_terms

    out = bytes_beneath(stdout)
    if out is None:
        return None
    terms = plain_terms(pattern)
    compiled = None
    if terms is None:
        # Any other pattern: parsed here (Lark), still without typer; an invalid one is the CLI's
        # to report.
        from . import PatternError, compile_pattern

        try:
            compiled = compile_pattern(pattern)
        except PatternError:
            return None
        terms = line_terms(compiled.tree)
    from .engine.inputs.cloudtrail_validate import is_digest_file
    from .engine.inputs.messages import FORMATS, MessageInputError, MessageStats, check_readable

    names = files or ["-"]
    if fmt not in FORMATS or any(name != "-" and is_digest_file(name) for name in names):
        return None
    try:
        check_readable(names)
    except MessageInputError:
        return None

    from .engine.inputs.scan import MatchWriter, TermScan, scan_inputs

    stdout.reconfigure(errors="backslashreplace")
    stats = MessageStats()
    line_buffered = line_buffered or stdout.isatty()
    if terms is not None:
        writer: MatchWriter = TermScan(*terms, out=out, line_buffered=line_buffered)
    else:
        writer = MatchWriter(compiled.matches, out, line_buffered)
    try:
        scan_inputs(writer, names, stats, fmt, compiled.block_filter if terms is None else None)
        stdout.flush()
    except MessageInputError as exc:
        # An input cut short (damaged gzip data): what was written stays, the error follows.
        _flush_quietly()
        from .cli import _error

        _error(str(exc))
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`cwfilter test ... | head -1`): what matched so far decides.
        _silence_stdout()
        return EXIT_MATCH if writer.matched else EXIT_NO_MATCH
    except KeyboardInterrupt:
        # Ctrl-C on `tail -f ... | cwfilter test`: what was printed stays; account for what was read.
        _flush_quietly()
        _report([], stats)
        return 130
    hints = []
    if not writer.matched and pattern.lstrip().startswith(("{", "[")):
        from .engine.report.text import shape_hint_notes

        hints = shape_hint_notes(files)
    _report(hints, stats)
    return EXIT_MATCH if writer.matched else EXIT_NO_MATCH


def _report(notes: list[str], stats: object) -> None:
    """The notes, then what reading saw besides the events, on stderr (as the CLI writes them)."""
    from .engine.report.text import input_notes

    for line in [*notes, *input_notes(stats)]:
        sys.stderr.write(f"cwfilter: {line}\n")
    sys.stderr.flush()


def _flush_quietly() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    main()
