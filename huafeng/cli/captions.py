"""The ``huafeng`` commands for captions (registered on the shared app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from huafeng.cli._app import app, err, out
from huafeng.errors import InputError

# ------------------------------------------------------------------------------------ captions


def _notes(img: Any) -> None:
    for note in (img.info or {}).get("caption_notes", []):
        err.print(f"[yellow]note:[/yellow] {note}")


_StyleOpt = Annotated[
    str | None, typer.Option("-s", "--style", help="Stylize first: style name or .onnx path.")
]
_Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]


@app.command()
def meme(
    image: Annotated[Path, typer.Argument(help="The picture.")],
    text: Annotated[str, typer.Argument(help='Top text ("" for none).')],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output image (.png, .jpg, .webp).")],
    bottom: Annotated[str | None, typer.Option("--bottom", help="Bottom text.")] = None,
    style: _StyleOpt = None,
    vertical: Annotated[bool, typer.Option("--vertical", help="Vertical 竖排 columns.")] = False,
    painted: Annotated[
        bool, typer.Option("--painted", help="Run the style over the text too (needs --style).")
    ] = False,
    max_size: Annotated[
        int | None, typer.Option(min=64, help="Scale the picture down to this longest side first.")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Pin the top text's top-left corner: X,Y in pixels.")
    ] = None,
    overwrite: _Overwrite = False,
) -> None:
    """Put colloquial text on a picture, placed off faces, in the picture's own colours."""
    from huafeng import imageio
    from huafeng.caption.meme import render_meme

    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    img = imageio.read_image(image)
    if max_size is not None and max(img.size) > max_size:
        f = max_size / max(img.size)
        img = img.with_rgb(imageio.resize(img.rgb, (round(img.size[0] * f), round(img.size[1] * f))))
    xy: tuple[int, int] | None = None
    if at is not None:
        try:
            x, y = (int(v) for v in at.split(","))
        except ValueError:
            raise InputError(f"--at takes X,Y in pixels, e.g. 20,40; not {at!r}") from None
        xy = (x, y)
    res = render_meme(img, text or None, bottom, style=style, vertical=vertical, painted=painted, at=xy)
    _notes(res)
    out.print(str(imageio.write_image(output, res, overwrite=overwrite, protect=[image])))


@app.command()
def sticker(
    image: Annotated[Path, typer.Argument(help="The picture.")],
    text: Annotated[str, typer.Argument(help="The caption.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .gif, .webp or .mp4.")],
    anim: Annotated[
        str, typer.Option("--anim", help="typewriter, pop, shake, bounce, fade or morph (photo→painting).")
    ] = "pop",
    style: _StyleOpt = None,
    fps: Annotated[int, typer.Option(min=1, max=50, help="Frames per second.")] = 12,
    seconds: Annotated[float, typer.Option(min=0.2, max=20.0, help="Loop length.")] = 2.0,
    size: Annotated[int, typer.Option(min=64, max=2048, help="Longest side in pixels.")] = 512,
    overwrite: _Overwrite = False,
) -> None:
    """Make an animated sticker: animated text, or a photo→painting morph."""
    from huafeng import imageio
    from huafeng.caption.sticker import render_sticker, write_sticker

    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    anim_ = render_sticker(
        imageio.read_image(image), text, anim=anim, style=style, fps=fps, seconds=seconds, size=size
    )
    out.print(str(write_sticker(output, anim_, overwrite=overwrite, protect=(str(image),))))


@app.command()
def subtitle(
    video: Annotated[Path, typer.Argument(help="The video.")],
    subs: Annotated[Path, typer.Argument(help="Subtitles: .srt, .ass or .ssa.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .mp4 (audio is kept).")],
    style: _StyleOpt = None,
    overwrite: _Overwrite = False,
) -> None:
    """Stylize a video and burn in styled, animated subtitles (CJK in the bundled font)."""
    from huafeng.caption.subtitle import burn_subtitles

    rep = burn_subtitles(video, subs, output, style=style, overwrite=overwrite)
    for note in rep.notes:
        err.print(f"[yellow]note:[/yellow] {note}")
    out.print(f"{output}  [dim]({rep.frames} frames, {rep.cues} subtitles)[/dim]")


@app.command()
def annotate(
    image: Annotated[Path, typer.Argument(help="The picture.")],
    spec: Annotated[Path, typer.Argument(help="JSON spec: arrows, circles, boxes, labels.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output image.")],
    style: _StyleOpt = None,
    overwrite: _Overwrite = False,
) -> None:
    """Draw hand-drawn arrows, circles, boxes and labels in the picture's palette."""
    from huafeng import imageio
    from huafeng.caption.annotate import annotate as draw
    from huafeng.caption.annotate import load_spec

    imageio.check_writable(output, overwrite=overwrite, protect=[image, spec])
    data = load_spec(spec)
    res = draw(imageio.read_image(image), data, style=style)
    _notes(res)
    out.print(str(imageio.write_image(output, res, overwrite=overwrite, protect=[image, spec])))
