"""The ``huafeng`` commands for serve (registered on the shared app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from huafeng.cli._app import app, err, out
from huafeng.errors import InputError

# ------------------------------------------------------------------------------------ serve, story


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs a token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="HUAFENG_TOKEN",
            help="API token (16+ chars). Required off loopback; pass 'auto' to generate one.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="History, presets, jobs and results [default: user data dir].")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Stylization worker threads.")] = 2,
    queue_size: Annotated[int, typer.Option(min=0, help="Requests that may wait; then 503.")] = 8,
    threads: Annotated[int, typer.Option(min=1, help="ONNX Runtime threads per worker.")] = 1,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest request body (MiB).")] = 25,
    timeout: Annotated[float, typer.Option(min=1.0, help="Request time limit (seconds).")] = 60.0,
) -> None:
    """Run the web service and page (http://HOST:PORT/; API docs at /api/docs)."""
    import secrets

    from huafeng.serve.app import create_app, run_server
    from huafeng.serve.settings import ServeSettings, default_data_dir

    if token == "auto":
        token = secrets.token_urlsafe(24)
        err.print(f"API token: {token}")
    settings = ServeSettings(
        data_dir=data_dir or default_data_dir(),
        host=host,
        token=token,
        workers=workers,
        queue_size=queue_size,
        threads_per_worker=threads,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        request_timeout_s=timeout,
        warmup=True,
    )
    err.print(f"huafeng serving on http://{host}:{port}/  (data in {settings.data_dir})")
    run_server(create_app(settings), host, port)


@app.command()
def story(
    photos: Annotated[list[Path], typer.Argument(help="Photos in story order.", show_default=False)],
    style: Annotated[
        str, typer.Option("-s", "--style", help="Style name (see `huafeng styles`) or .onnx path.")
    ] = "default",
    output: Annotated[
        Path, typer.Option("-o", "--output", help="OUT: writes OUT.png (the page) and OUT.gif (animation).")
    ] = Path("story"),
    captions: Annotated[
        Path | None, typer.Option("--captions", help="UTF-8 text file, one caption per line, in order.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="A title across the top of the page.")] = None,
    page_format: Annotated[
        str,
        typer.Option("--format", help="9:16 (phone story), 1:1 (feed post) or strip (rows of equal panels)."),
    ] = "9:16",
    balloon: Annotated[
        str, typer.Option(help="Captions as box (narration), bubble (speech, tail to the face) or auto.")
    ] = "auto",
    width: Annotated[int, typer.Option(min=240, max=2160, help="Page width (px) for 9:16 and 1:1.")] = 1080,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="0 = original, 1 = full style.")] = 1.0,
    preserve_color: Annotated[
        bool, typer.Option("--preserve-color", help="Keep the photos' colours.")
    ] = False,
    panel: Annotated[
        int, typer.Option(min=64, max=2048, help="Longest side of each panel (px), for strip.")
    ] = 480,
    columns: Annotated[int, typer.Option(min=0, help="Panels per row of a strip (0 = auto).")] = 0,
    video: Annotated[bool, typer.Option("--mp4", help="Also write OUT.mp4 (needs the video extra).")] = False,
    style_image: Annotated[
        Path | None,
        typer.Option("--style-image", help="Instant: every panel looks like this picture (its style code)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
) -> None:
    """Make a story snippet: photos (+ captions, a title) → one styled comic page and a GIF."""
    from huafeng import imageio
    from huafeng.infer.styles import StyleInfo
    from huafeng.story import StoryOptions, make_story, write_story

    caps: list[str | None] = []
    if captions is not None:
        try:
            caps = [line.strip() or None for line in captions.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{captions}: cannot read captions ({e})") from None
    opts = StoryOptions(
        strength=strength,
        preserve_color=preserve_color,
        format=page_format,
        width=width,
        panel_side=panel,
        columns=columns,
        title=title,
        balloon=balloon,
    )
    imgs = [imageio.read_image(p) for p in photos]
    look: str | StyleInfo = style
    palette = None  # set only on the fallback path, as in ``stylize --style-image``
    if style_image is not None:
        if style != "default":
            raise InputError("give either --style or --style-image, not both")
        from huafeng.infer.instant import look_like

        look, palette, how = look_like(imageio.read_image(style_image).rgb)
        err.print(f"instant look: {how}")
    result = make_story(imgs, caps[: len(imgs)], look, opts, palette=palette)
    for note in result.notes:
        err.print(f"note: {note}")
    for p in write_story(result, output, video=video, overwrite=overwrite, protect=photos):
        out.print(str(p))
