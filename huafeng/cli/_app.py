"""The shared app of the ``huafeng`` command line, its consoles and option declarations.

Each command parses arguments, builds an options object and calls one library function.

Conventions held by every command (and checked by tests/test_cli.py):
- listing commands take ``--json``; commands that write take ``-o/--output`` and refuse to overwrite
  without ``--overwrite``; a style is a registry name or a path to an ``.onnx`` file;
- a mistake the user can fix prints one line on stderr and exits 2; an internal fault exits 1;
  a traceback appears only with ``--debug``;
- heavy imports (onnxruntime, torch) happen inside the command that needs them, so ``--help`` is
  instant and the inference commands never import torch.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(
    name="huafeng",
    help="画风 huafeng — GAN style transfer: stylize photos fast on the CPU, train your own styles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help is plain text: "rich" ate "[train]", "[faces]" from help lines
)
# soft_wrap: paths and one-line messages must never be broken across lines (scripts parse them).
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        import huafeng

        print(f"huafeng {huafeng.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """The root options; ``--debug`` is read by :func:`huafeng.cli.main` from the raw arguments."""


#: ``--threads``, shared by every command that runs a model.
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="ONNX Runtime threads (default: every core, or HUAFENG_THREADS; a folder of photos then runs"
        " up to 4 small ones side by side, one core each).",
    ),
]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
