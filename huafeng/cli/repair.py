"""The ``huafeng`` commands for repair (registered on the shared app)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from huafeng.cli._app import ThreadsOption, _print_json, app, out

# ------------------------------------------------------------------------------------ repair


def _repaired(img: Any, threads: int | None) -> Any:
    """``stylize --repair``: detect damage and inpaint it before styling (unchanged if none found)."""
    from huafeng.infer.repair import RepairOptions, repair_image

    return repair_image(img, RepairOptions(threads=threads)).image


@app.command("repair")
def repair_command(
    image: Annotated[Path, typer.Argument(help="Damaged photo.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the repaired photo.")],
    mask: Annotated[
        Path | None,
        typer.Option(help="Black/white mask, same size as the photo: white = damaged. Default: detect."),
    ] = None,
    detector: Annotated[
        str, typer.Option(help="Without --mask: 'learned' (segmentation net) or 'classical' (morphology).")
    ] = "learned",
    save_mask: Annotated[
        Path | None,
        typer.Option(
            "--show-mask", "--save-mask", help="Also write the mask that was repaired (white = repaired)."
        ),
    ] = None,
    tile: Annotated[
        int | None, typer.Option(min=0, help="Tile size for large photos (0 = never tile; default: auto).")
    ] = None,
    threads: ThreadsOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Repair a damaged photo (scratches, creases, holes, stains, text): inpaint with a GAN.

    Pixels outside the mask are kept exactly. Without --mask the damage is detected automatically.
    """
    from huafeng.infer.repair import RepairOptions, repair_file

    t0 = time.perf_counter()
    opts = RepairOptions(mask=mask, detector=detector, tile=tile, threads=threads)
    res = repair_file(image, output, opts, overwrite=overwrite, mask_out=save_mask)
    info = {
        "input": str(image), "output": str(output), "mask": str(mask) if mask else None,
        "detected": res.detected, "repaired_fraction": float(res.mask.mean()),
        "seconds": time.perf_counter() - t0,
    }  # fmt: skip
    if as_json:
        _print_json(info)
    else:
        how = "detected" if res.detected else "given"
        pct = 100 * float(res.mask.mean())
        out.print(f"{output}  [dim]({pct:.2f} % repaired, {how} mask, {info['seconds']:.2f} s)[/dim]")
