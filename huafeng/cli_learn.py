"""``huafeng learn-style``: the command line over :func:`huafeng.train.learn_style.learn_style`.

Kept out of ``cli.py`` (already the largest module) and registered onto its app by :func:`register`;
it follows the same conventions: ``-o/--output`` refuses to overwrite without ``--overwrite``,
bad input is one line and exit 2, a Rich progress bar shows the time left, ``--json`` prints the
result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from huafeng.errors import InputError
from huafeng.train.learn_cfg import CONTENT_WEIGHT, SSIM_TARGET, LearnCfg

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def learn_style_command(
    images: Annotated[
        list[Path], typer.Argument(help="1 to 50 pictures of the style: paintings, photos, screenshots.")
    ],
    name: Annotated[str, typer.Option("--name", help="The new style's name (letters, digits, _ . -).")],
    minutes: Annotated[
        float, typer.Option(help="Training budget in minutes (4 is good on 2 CPU cores).")
    ] = 4.0,
    content_weight: Annotated[
        float | None,
        typer.Option(
            "--content-weight",
            help="Higher keeps more of the photo (default "
            f"{CONTENT_WEIGHT['arbitrary']:g}; multistyle {CONTENT_WEIGHT['multistyle']:g}).",
        ),
    ] = None,
    keep: Annotated[
        float | None,
        typer.Option(
            "--keep",
            help="How much of the photo's structure to keep, as SSIM 0-1: the run steers its content weight "
            f"to it (default {SSIM_TARGET['arbitrary']:g}; 0 = a fixed --content-weight).",
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="arbitrary (default: starts from a reading of your pictures) or multistyle (26 styles).",
        ),
    ] = None,
    from_style: Annotated[
        int | None,
        typer.Option("--from", help="Start from multistyle base style 0-25 (default: the closest by Gram)."),
    ] = None,
    critic: Annotated[
        str,
        typer.Option(
            help="patch (a critic learnt from scratch) or projected (heads on a pretrained network: "
            "it learns a whole collection's look in minutes; give it --critic-images)."
        ),
    ] = "patch",
    critic_images: Annotated[
        list[Path] | None,
        typer.Option(
            "--critic-images",
            help="Paintings the critic learns the look from (files or folders; default: IMAGES). The "
            "textures still come from IMAGES: e.g. a few typical paintings plus their whole tradition.",
        ),
    ] = None,
    critic_negatives: Annotated[
        list[Path] | None,
        typer.Option(
            "--critic-negatives",
            help="Paintings the critic learns to call fake (files or folders): the neighbouring traditions, "
            "so it learns what sets yours apart from theirs.",
        ),
    ] = None,
    adversarial: Annotated[
        float | None,
        typer.Option(help=f"Weight of the critic term (default {LearnCfg.adversarial:g}; 3: a tradition)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The .onnx to write (default: your styles folder).")
    ] = None,
    photos: Annotated[
        list[Path] | None,
        typer.Option("--photos", help="Content photos to train on (default: bundled ones)."),
    ] = None,
    preview: Annotated[
        Path | None, typer.Option("--preview", help="Write a stylized sample here as training goes.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing style file.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new style as JSON.")] = False,
    events: Annotated[
        bool, typer.Option("--events", hidden=True, help="JSON lines on stdout (the web service's jobs).")
    ] = False,
) -> None:
    """Learn a style from your own picture(s) in minutes on the CPU (needs PyTorch: the train extra).

    Re-running the same command after Ctrl-C continues where it stopped. The result is ready for
    `stylize -s NAME`, `--mix`, the page and the API.
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError("learn-style needs PyTorch: pip install 'huafeng[train]'") from None
    from huafeng.imageio import list_images
    from huafeng.train.learn_style import learn_style

    files = list_images(images)
    photo_files = list_images(photos) if photos else []
    if base is None:  # --from names a multistyle row, so it implies that base
        base = "multistyle" if from_style is not None else LearnCfg.base
    # an explicit --content-weight alone means that weight, fixed; --keep steers from it
    target = keep if keep is not None else 0.0 if content_weight is not None else None
    judged = tuple(str(p) for p in list_images(critic_images)) if critic_images else ()
    negatives = tuple(str(p) for p in list_images(critic_negatives)) if critic_negatives else ()
    cfg = LearnCfg(
        minutes=minutes, content_weight=content_weight, base=base, from_style=from_style, ssim_target=target,
        critic=critic, critic_images=judged, critic_negatives=negatives,
        adversarial=LearnCfg.adversarial if adversarial is None else adversarial,
    )  # fmt: skip
    if events:  # one JSON object per line, flushed: the service reads them as the job's progress

        def say(m: str) -> None:
            print(json.dumps({"message": m, "minutes": minutes}), flush=True)
    elif as_json:

        def say(m: str) -> None:
            pass
    else:

        def say(m: str) -> None:
            _err.print(f"[dim]{m}[/dim]")

    style = learn_style(
        files, name=name, cfg=cfg, output=output, photos=photo_files, preview=preview,
        overwrite=overwrite, progress=progress and not (as_json or events), step=say,
    )  # fmt: skip
    if events:
        print(json.dumps({"done": {"name": style.name, "path": str(style.path)}}), flush=True)
    elif as_json:
        _out.print(
            json.dumps({"name": style.name, "path": str(style.path), "steps": style.card.get("steps")})
        )
    else:
        _out.print(f"{style.path}  (stylize with: huafeng stylize PHOTO -s {style.name})")


def register(app: typer.Typer) -> None:
    app.command("learn-style")(learn_style_command)
