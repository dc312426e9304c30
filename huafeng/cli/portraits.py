"""The ``huafeng`` commands for portraits (registered on the shared app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from huafeng.cli._app import app, err, out

# ------------------------------------------------------------------------------------ portraits


@app.command()
def tryon(
    image: Annotated[Path, typer.Argument(help="A portrait photo.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The image file to write.")],
    hair: Annotated[str | None, typer.Option(help="Hair colour, hex like '#7a3b2e'.")] = None,
    lips: Annotated[str | None, typer.Option(help="Lip colour, hex like '#c0392b'.")] = None,
    clothes: Annotated[
        str | None, typer.Option(help="Clothing pattern: an image file, or a style name / .onnx path.")
    ] = None,
    amount: Annotated[float, typer.Option(min=0.05, max=1.0, help="How strongly (1 = full colour).")] = 0.85,
    face_index: Annotated[
        int | None, typer.Option("--face-index", min=0, help="Which face (0 = largest) in a group photo.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
) -> None:
    """Try on a look: hair colour, lip tint or a clothing pattern (needs the [faces] extra)."""
    from huafeng import imageio
    from huafeng.portrait.tryon import TryOnOptions, try_on

    opts = TryOnOptions(hair=hair, lips=lips, clothes=clothes, amount=amount, face_index=face_index)
    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    result = try_on(imageio.read_image(image), opts)
    for note in result.info.get("notes", []) or []:  # type: ignore[attr-defined]
        err.print(f"note: {note}", markup=False)
    out.print(str(imageio.write_image(output, result, overwrite=overwrite, protect=[image])))


@app.command()
def expression(
    target: Annotated[Path, typer.Argument(help="The portrait to animate.", show_default=False)],
    driver: Annotated[
        Path, typer.Argument(help="A face image, or a short video, with the expression.", show_default=False)
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Animation: .gif, .webp or .mp4.")],
    neutral: Annotated[
        Path | None, typer.Option(help="The driver's neutral face (image drivers; default: the target's).")
    ] = None,
    strength: Annotated[
        float, typer.Option(min=0.05, max=2.0, help="Scale on the driver's expression.")
    ] = 1.0,
    frames: Annotated[
        int, typer.Option(min=3, max=240, help="Frames of the 0→1→0 loop (image driver).")
    ] = 24,
    fps: Annotated[float, typer.Option(min=1.0, max=60.0, help="Frame rate (image driver).")] = 12.0,
    face_index: Annotated[
        int | None, typer.Option("--face-index", min=0, help="Which target face (0 = largest).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
) -> None:
    """Move a driving face's expression onto a portrait: an animated GIF/MP4 (needs [faces])."""
    from huafeng import imageio
    from huafeng.portrait.expression import ExpressionOptions, transfer_expression, write_expression

    opts = ExpressionOptions(frames=frames, strength=strength, fps=fps, face_index=face_index)
    protect = (target, driver) if neutral is None else (target, driver, neutral)
    imageio.check_writable(output, overwrite=overwrite, protect=protect)
    result = transfer_expression(imageio.read_image(target), driver, opts, neutral=neutral)
    out.print(str(write_expression(result, output, overwrite=overwrite, protect=protect)))
