"""The ``huafeng`` commands for training (registered on the shared app)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from huafeng.cli._app import _print_json, app, out
from huafeng.errors import InputError

# ------------------------------------------------------------------------------------ training


@app.command()
def train(
    config: Annotated[Path, typer.Argument(help="A recipe YAML, e.g. configs/style_impressionism.yaml.")],
    data: Annotated[
        Path | None, typer.Option(help="Data root replacing ../shared/data in the recipe.")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", "--out", help="Run folder.")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="Override the number of steps.")] = None,
    minutes: Annotated[
        float | None, typer.Option(min=0.01, help="Stop (with a checkpoint) after this much training.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the run folder's last checkpoint.")
    ] = False,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config field: --set train.lr_g=2e-4.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Start afresh in a non-empty run folder.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train from a recipe: a style-transfer GAN, or the repair networks for a recipe with
    ``task: repair`` (needs the [train] extra: torch)."""
    _need_torch()
    from huafeng.train.loop import prepare_run_dir, recipe_task

    if not config.exists():
        raise InputError(f"{config}: config file not found")
    sets = list(overrides or [])
    if steps is not None:
        sets.append(f"train.steps={steps}")
    deadline = 60 * minutes if minutes is not None else None
    if recipe_task(config) == "repair":
        from huafeng.train.inpaint import load_repair_config, train_repair

        if data is not None:
            sets.append(f"data.root={data}")
        rcfg = load_repair_config(config, sets)
        run_dir = prepare_run_dir(output or Path("runs") / "repair", resume=resume, overwrite=overwrite)
        last = train_repair(rcfg, run_dir, resume=resume, deadline_s=deadline, progress=progress)
        out.print(f"last: {last}")
        out.print(f"export with: python -m huafeng.train.inpaint_export {run_dir} huafeng/assets/repair")
        return
    from huafeng.config import apply_data_root, load_config
    from huafeng.train.loop import train as run_training

    cfg = load_config(config, sets)
    if data is not None:
        cfg = apply_data_root(cfg, data)
    run_dir = prepare_run_dir(output or Path("runs") / cfg.name, resume=resume, overwrite=overwrite)
    result = run_training(cfg, run_dir, resume=resume, progress=progress, deadline_s=deadline)
    out.print(f"checkpoint: {result.checkpoint}")
    out.print(f"export with: huafeng export {result.checkpoint} -o {cfg.name}.onnx")


@app.command()
def export(
    checkpoint: Annotated[Path, typer.Argument(help="A .safetensors checkpoint or a run folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .onnx file to write.")],
    name: Annotated[str | None, typer.Option(help="Style name in the registry (default: the run's).")] = None,
    tradition: Annotated[str | None, typer.Option(help="Tradition shown in the gallery.")] = None,
    quantize: Annotated[
        str | None, typer.Option(help="Also quantise: fp16 or int8 (static, calibrated on samples).")
    ] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Export the raw generator instead of its EMA.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the export report as JSON.")] = False,
) -> None:
    """Export a trained generator to ONNX for the torch-free engine (parity checked)."""
    _need_torch()
    from huafeng import imageio
    from huafeng.train.export import export_checkpoint

    if output.suffix.lower() != ".onnx":
        raise InputError(f"{output}: the output must end in .onnx")
    if quantize not in (None, "fp16", "int8"):
        raise InputError(f"--quantize must be fp16 or int8, not {quantize!r}")
    imageio.check_writable(output, overwrite=overwrite)
    report = export_checkpoint(
        checkpoint,
        output,
        name=name,
        tradition=tradition,
        quantize=quantize,
        ema=not raw,
        overwrite=overwrite,
    )
    if as_json:
        _print_json(asdict(report))
    else:
        out.print(
            f"{report.path}  max |onnx - torch| = {report.max_abs_diff:.2e}, {report.bytes / 1e6:.2f} MB"
        )


def _need_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError(
            "training needs PyTorch: pip install 'huafeng[train]' (and the CPU or CUDA torch wheel)"
        ) from None
