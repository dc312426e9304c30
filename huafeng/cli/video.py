"""The ``huafeng`` commands for video (registered on the shared app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from huafeng.cli._app import ThreadsOption, _print_json, app, err, out
from huafeng.errors import InputError

# ------------------------------------------------------------------------------------ video


@app.command()
def video(
    src: Annotated[Path, typer.Argument(help="Input video (.mp4, .mov, .mkv, ...).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output video (.mp4, .mov or .mkv).")],
    style: Annotated[
        str | None, typer.Option("--style", "-s", help="Style name or path to an .onnx file.")
    ] = None,
    look: Annotated[str | None, typer.Option("--look", "-l", help="Saved look name or a .cube file.")] = None,
    strength: Annotated[float, typer.Option("--strength", help="0 = input, 1 = full style.")] = 1.0,
    temporal: Annotated[
        bool, typer.Option("--temporal/--per-frame", help="Blend the previous frame along the optical flow.")
    ] = True,
    blend: Annotated[
        float, typer.Option("--blend", help="Weight of the previous frame where the flow is reliable.")
    ] = 0.6,
    network_every: Annotated[
        int,
        typer.Option(
            "--network-every",
            min=1,
            help="Styles: run the network on every Nth frame and move its strokes along the motion in"
            " between (1 = every frame; a cut or fast motion runs it anyway).",
        ),
    ] = 2,
    max_size: Annotated[int | None, typer.Option("--max-size", help="Longest side of the output.")] = None,
    max_frames: Annotated[int | None, typer.Option("--max-frames", help="Only the first N frames.")] = None,
    threads: ThreadsOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Stylize a video with a style or a look: flicker-reduced, audio kept, resumable (re-run to continue)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from huafeng.infer.video import VideoOptions, stylize_video_file

    if (style is None) == (look is None):
        raise InputError("give exactly one of a style (-s) or a look (--look)")

    opts = VideoOptions(temporal=temporal, blend=blend, max_frames=max_frames, network_every=network_every)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=as_json,
    ) as bar:
        task = bar.add_task(f"stylizing {src.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        common: dict[str, Any] = dict(opts=opts, overwrite=overwrite, threads=threads, progress=progress)
        if look is not None:
            from huafeng.looks.video import look_video_file

            res = look_video_file(src, output, look=look, strength=strength, **common)
        else:
            assert style is not None
            res = stylize_video_file(src, output, style=style, strength=strength, max_size=max_size, **common)
    if as_json:
        _print_json(res)
    else:
        resumed = f", resumed at frame {res['resumed_from']}" if res["resumed_from"] else ""
        out.print(f"{res['output']}  [dim]({res['frames']} frames at {res['fps']:.3g} fps{resumed})[/dim]")
