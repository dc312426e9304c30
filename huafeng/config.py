"""Typed, frozen training configuration and its YAML form.

One small frozen dataclass per concern (litgpt ``args.py`` style): every field carries its default
and the reason for it, and ``__post_init__`` rejects bad values with a one-line
:class:`~huafeng.errors.InputError` so a typo in a recipe fails before any tensor is allocated.
The module is torch-free on purpose: the CLI parses and validates a recipe (``--help``, dry runs)
without paying for the torch import.

Data paths are relative to ``DataCfg.root`` (default ``../shared/data``, itself relative to the
working directory); :func:`apply_data_root` points a recipe at another copy of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

from huafeng.cfgtools import apply_overrides, check, from_mapping, to_dict
from huafeng.errors import InputError

Mode = Literal["style", "cycle", "multi"]
Device = Literal["auto", "cpu", "cuda", "mps"]
Amp = Literal["off", "bf16", "fp16"]
Schedule = Literal["constant", "linear", "cosine"]
AdvKind = Literal["lsgan", "hinge", "nonsat"]
StyleTarget = Literal["sample", "fixed"]

DEFAULT_DATA_ROOT = "../shared/data"


@dataclass(frozen=True)
class ModelCfg:
    """Which networks to build. The kwargs go straight to the model registries: models never
    read configs, so a model can be built the same way from a test, a notebook or a checkpoint."""

    generator: str = "mobile"
    """Registered generator (``huafeng.models.GENERATORS``); ``mobile`` is the CPU-fast design."""
    generator_kw: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the generator factory. ``multi`` mode adds ``num_styles`` itself."""
    discriminator: str = "patch"
    """Registered discriminator; a PatchGAN judges texture, which is what a style is."""
    discriminator_kw: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the discriminator factory."""

    def __post_init__(self) -> None:
        check(bool(self.generator), "model.generator: must name a registered generator")
        check(bool(self.discriminator), "model.discriminator: must name a registered discriminator")


@dataclass(frozen=True)
class LossCfg:
    """Loss weights (the caller applies them; losses are pure) and the perceptual-loss setup."""

    RENAMED: ClassVar[dict[str, str]] = {"colour": "color"}  # recipes and checkpoints before the rename

    content: float = 1.0
    """α: keeps the photo's structure (MobileNetV2 features of output vs. input)."""
    style: float = 10.0
    """β: Gram-matrix style loss; relative per tap, so 5–10 is a strong style (README, measured)."""
    adversarial: float = 0.1
    """γ: the discriminator carries what Gram cannot (motifs, brush layout, blank space)."""
    cycle: float = 10.0
    """CycleGAN's λ for ‖F(G(a)) − a‖₁ (Zhu et al. 2017). Only in ``cycle`` mode."""
    identity: float = 5.0
    """CycleGAN identity loss (0.5·λ in the paper): keeps colours when the input is already in
    the target domain. Only in ``cycle`` mode."""
    tv: float = 0.0
    """Total variation: the smoothness prior that suppresses MobileNetV2's pixel-noise texture."""
    color: float = 0.0
    """Colour-statistics loss (per-channel mean/std vs. the style target): moves the palette,
    which the relative Gram loss alone does slowly."""
    palette: float = 0.0
    """Colour-distribution loss (sliced Wasserstein in Lab vs. the style target, losses/color.py):
    the whole palette, where ``color`` matches only its mean and spread."""
    r1: float = 0.0
    """R1 gradient penalty on real paintings (Mescheder et al. 2018); 0 turns it off."""
    adversarial_kind: AdvKind = "hinge"
    """GAN objective: ``lsgan`` (CycleGAN), ``hinge`` (SN-GAN) or ``nonsat`` (Goodfellow)."""
    style_taps: tuple[str, ...] = ()
    """MobileNetV2 taps for the Gram loss; empty = the perceptual module's measured defaults."""
    style_tap_weights: tuple[float, ...] = ()
    """Per-tap weights (same length as ``style_taps``), e.g. to favour deeper taps; empty = equal."""
    style_scales: tuple[float, ...] = (1.0,)
    """Image scales the Gram loss reads its taps at (output and painting alike): 0.5 adds the taps on
    a half-size copy, whose deepest sees the coarse layout no full-size tap does (train/terms.py)."""
    ssim_target: float = 0.0
    """Steer the content weight so the outputs keep this much of the photo (SSIM-Y on the training
    batch; huafeng/train/balance.py); 0 = the content weight as given, fixed."""
    ssim_detail: bool = False
    """With ``ssim_target``: the same factor, capped at 1, also sets how much of the photo's fine detail
    the render lift adds back (a generator with ``detail_logit``; train/balance.py)."""
    content_taps: tuple[str, ...] = ()
    """Taps for the content loss; empty = the perceptual module's default (block 7)."""
    style_target: StyleTarget = "sample"
    """``sample``: each photo's Gram target is a random painting crop from the style set (keeps
    the set's variety; a mean Gram over many paintings is a bland target, notes/cpu-training-
    attempt.md). ``fixed``: targets precomputed once from ``data.style_reference`` (one painting or
    a few), the classic fast-style-transfer setup and far cheaper on CPU."""

    def __post_init__(self) -> None:
        for name in ("content", "style", "adversarial", "cycle", "identity", "tv", "color", "palette", "r1"):
            v = getattr(self, name)
            check(math.isfinite(v) and v >= 0, f"loss.{name}: must be a finite weight >= 0, got {v}")
        check(
            not self.style_tap_weights or len(self.style_tap_weights) == len(self.style_taps),
            f"loss.style_tap_weights: {len(self.style_tap_weights)} weights for "
            f"{len(self.style_taps)} style_taps (give one per tap, or none)",
        )
        check(0 <= self.ssim_target < 1, f"loss.ssim_target: need 0 (off) to < 1, got {self.ssim_target}")
        check(not self.ssim_detail or self.ssim_target > 0, "loss.ssim_detail: needs loss.ssim_target > 0")
        sc = self.style_scales
        check(
            len(sc) >= 1 and len(set(sc)) == len(sc) and all(0.125 <= v <= 1 for v in sc),
            f"loss.style_scales: distinct scales in [0.125, 1], at least one; got {list(sc)}",
        )


@dataclass(frozen=True)
class DataCfg:
    """Where the images are and how they are cut into training crops."""

    root: str = DEFAULT_DATA_ROOT
    """Data root; relative paths below are joined to it. ``--data`` in the CLI overrides it."""
    content: tuple[str, ...] = ("content",)
    """Photo folders/globs/files (domain A in ``cycle`` mode)."""
    style: tuple[str | tuple[str, ...], ...] = ("styles/european_impressionism_postimpressionism",)
    """Painting folders/globs/files (domain B in ``cycle``); in ``multi`` mode one entry per style,
    and an entry may itself be a list (a style learnt from a hand-picked set of paintings)."""
    style_names: tuple[str, ...] = ()
    """Names for the ``multi`` styles (model card, sample grids); empty = folder names."""
    style_reference: tuple[str, ...] = ()
    """Gram targets for ``loss.style_target: fixed`` (in ``multi``: one per style); empty = all
    images of the style set."""
    critic_negatives: tuple[str, ...] = ()
    """Paintings of *other* traditions the critic is shown as fakes beside G's outputs (``style``
    mode only). A critic that has seen only the tradition accepts what any silk-and-ink painting
    shares; with the neighbours as negatives it must find what sets the tradition apart (a
    class-contrastive critic). G's loss is unchanged: it still only asks the critic to call it real."""
    manifest: str | None = None
    """MANIFEST.csv (file,split,...,label) to filter images by; None = use every image found."""
    manifest_label: str | None = None
    """Regex searched in the manifest's label column (e.g. ``Van Gogh``); style images only."""
    manifest_split: str = "train"
    """Only manifest rows with this split are used (keeps held-out images out of training)."""
    exclude_heldout: bool = False
    """Drop every image of the evaluation hold-out (:mod:`huafeng.splits`) found by listing a folder,
    photos and paintings alike, so ``huafeng eval`` grades on images the model never saw. A file
    named explicitly, or matched by a glob, is a deliberate pick and kept (a one-painting style
    needs its painting)."""
    image_size: int = 256
    """Photos are resized so the short side is this before cropping (sets the scale of detail)."""
    style_size: int = 256
    """Paintings' short side before cropping: sets brush-stroke scale relative to the output."""
    crop_size: int = 128
    """Training crop side. Small crops are what make CPU training feasible (cost ∝ pixels)."""
    crop_scale: tuple[float, float] = (0.5, 1.0)
    """Random-resized-crop area range as a fraction of the resized image."""
    hflip: bool = True
    """Random horizontal flips: paintings and photos are not chiral."""
    style_border: float = 0.04
    """Fraction cut from each side of a painting: frames, mounts and museum borders would
    otherwise be learnt as "style" (the shared README's advice)."""
    style_trim: bool = True
    """Before the border, cut a painting's flat digital pad or plain backdrop
    (:func:`huafeng.imageio.trim_mount`): a handscroll letterboxed onto a grey square is three
    quarters pad, which a fixed fraction cannot remove and the style terms would learn as blank."""
    style_views: int = 1
    """Fixed targets (``loss.style_target: fixed``): the mean over this many framings of each
    painting — as is, mirrored, then 2% and 4% more cut from every side, each mirrored too (at most
    6). The deepest style tap sees a 320 px painting as about 20×20 positions, so its Gram moved by
    10-80% (relative) between framings a few pixels apart on 4 of 7 benchmark paintings, and a
    learnt style followed the framing (docs/learn_style.md, session 12)."""
    batch_size: int = 4
    """Per-process batch; the effective batch is batch_size × world size."""
    workers: int = 0
    """DataLoader worker processes; 0 loads in the training process (best on 2 cores)."""
    cache: bool = False
    """Keep decoded, resized images in memory: saves JPEG decoding when the set is small."""
    samples: tuple[str, ...] = ()
    """Fixed photos for the sample grids; empty = the first ``num_samples`` content images."""
    num_samples: int = 4
    """Rows in a sample grid."""
    sample_size: int = 192
    """Short side of the sample photos (center-cropped to a square)."""

    def __post_init__(self) -> None:
        check(bool(self.content), "data.content: give at least one photo folder, glob or file")
        check(bool(self.style), "data.style: give at least one painting folder, glob or file")
        for name in ("image_size", "style_size", "crop_size", "batch_size", "num_samples", "sample_size"):
            check(getattr(self, name) >= 1, f"data.{name}: must be >= 1, got {getattr(self, name)}")
        check(
            self.crop_size <= min(self.image_size, self.style_size),
            f"data.crop_size: {self.crop_size} is larger than image_size/style_size "
            f"({self.image_size}/{self.style_size})",
        )
        lo, hi = self.crop_scale
        check(0 < lo <= hi <= 1, f"data.crop_scale: need 0 < min <= max <= 1, got {self.crop_scale}")
        check(
            0 <= self.style_border < 0.5, f"data.style_border: must be in [0, 0.5), got {self.style_border}"
        )
        check(1 <= self.style_views <= 6, f"data.style_views: must be 1..6, got {self.style_views}")
        check(self.workers >= 0, f"data.workers: must be >= 0, got {self.workers}")
        check(
            not self.style_names or len(self.style_names) == len(self.style),
            f"data.style_names: {len(self.style_names)} names for {len(self.style)} style entries",
        )

    def style_groups(self) -> list[list[str]]:
        """``style`` as one list of folders/globs/files per entry."""
        return [[e] if isinstance(e, str) else list(e) for e in self.style]

    def style_entries(self) -> list[str]:
        """Every folder/glob/file of ``style``, flattened."""
        return [e for g in self.style_groups() for e in g]

    def path(self, p: str) -> Path:
        """Resolve a data path: absolute paths stay, relative ones hang off ``root``."""
        q = Path(p).expanduser()
        return q if q.is_absolute() else Path(self.root).expanduser() / q


@dataclass(frozen=True)
class OptimCfg:
    """Adam for both networks (TTUR-style separate learning rates) and the LR schedule."""

    lr_g: float = 2e-4
    """Generator learning rate (CycleGAN/pix2pix default)."""
    lr_d: float = 2e-4
    """Discriminator learning rate."""
    lr_convs: float = 0.0
    """Learning rate of a pretrained base's convolutions when they are trained too
    (``magenta_cin`` with ``train_convs``); 0 = ``lr_g``. The norm tables want 1e-2, which would
    wreck convolutions trained for months: they need a rate ~100x smaller."""
    betas: tuple[float, float] = (0.5, 0.999)
    """β1 = 0.5 (DCGAN): a long momentum makes the G/D game oscillate."""
    weight_decay: float = 0.0
    """Decoupled weight decay (AdamW); GANs rarely need it."""
    schedule: Schedule = "constant"
    """``constant``, ``linear`` decay to ``min_lr`` (CycleGAN), or ``cosine``."""
    warmup_steps: int = 0
    """Linear LR warm-up: lets Adam's moment estimates settle before full-size steps."""
    decay_start: float = 0.0
    """Fraction of training after which ``linear``/``cosine`` decay begins (CycleGAN: 0.5)."""
    min_lr: float = 0.0
    """Final LR as a fraction of the base LR."""

    def __post_init__(self) -> None:
        check(
            self.lr_g > 0 and self.lr_d > 0, f"optim: learning rates must be > 0 ({self.lr_g}, {self.lr_d})"
        )
        check(self.lr_convs >= 0, f"optim.lr_convs: must be >= 0, got {self.lr_convs}")
        check(all(0 <= b < 1 for b in self.betas), f"optim.betas: each must be in [0, 1), got {self.betas}")
        check(self.weight_decay >= 0, f"optim.weight_decay: must be >= 0, got {self.weight_decay}")
        check(self.warmup_steps >= 0, f"optim.warmup_steps: must be >= 0, got {self.warmup_steps}")
        check(0 <= self.decay_start < 1, f"optim.decay_start: must be in [0, 1), got {self.decay_start}")
        check(0 <= self.min_lr <= 1, f"optim.min_lr: must be in [0, 1], got {self.min_lr}")

    def lr_factor(self, step: int, total: int) -> float:
        """LR multiplier at ``step`` — a pure function of the step, so resuming needs no state."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        start = max(self.warmup_steps, int(self.decay_start * total))
        if self.schedule == "constant" or step < start or total <= start:
            return 1.0
        t = min(1.0, (step - start) / max(1, total - start))
        shape = 1.0 - t if self.schedule == "linear" else 0.5 * (1.0 + math.cos(math.pi * t))
        return self.min_lr + (1.0 - self.min_lr) * shape


@dataclass(frozen=True)
class TrainCfg:
    """How long, where, and the loop's schedule of D updates, EMA, logging and checkpoints."""

    mode: Mode = "style"
    """``style``: photos → one style (feed-forward G, perceptual + GAN losses); ``cycle``: unpaired
    photo ↔ painting CycleGAN; ``multi``: K styles in one conditional G."""
    steps: int = 5000
    """Total optimiser steps (each step sees batch_size × world size photos)."""
    seed: int = 0
    """Seeds weights, data order and augmentation; per-step RNG is derived from (seed, step)."""
    device: Device = "auto"
    """``auto`` picks cuda, then mps, then cpu."""
    amp: Amp = "off"
    """Mixed precision (bf16 needs no loss scaling): on GPU, and bf16 on CPUs with AMX/AVX-512-BF16
    (measured 1.5× per step here); fp16 is GPU-only. Loss networks always run in fp32."""
    threads: int = 0
    """torch CPU threads; 0 = torch's default (all cores)."""
    ema_decay: float = 0.999
    """EMA of G's weights, the model that gets exported (smoother than the raw G in a GAN)."""
    grad_clip: float = 0.0
    """Clip each network's gradient norm to this; 0 = off."""
    d_steps: int = 1
    """Discriminator updates per generator update."""
    adv_start: int = 0
    """Step at which the adversarial term (and D training) starts: first let the perceptual losses
    make the style visible, then let D refine it (docs/notes/cpu-training-attempt.md)."""
    adv_ramp: int = 0
    """Steps over which γ ramps linearly from 0 after ``adv_start`` (avoids a shock to G)."""
    log_every: int = 10
    """Steps between metric lines (metrics.jsonl, progress bar)."""
    sample_every: int = 500
    """Steps between sample grids; 0 = only at the end."""
    checkpoint_every: int = 1000
    """Steps between checkpoints; 0 = only at the end."""
    keep_checkpoints: int = 3
    """How many recent checkpoints to keep on disk."""
    render_lift: float = 0.0
    """Train through the engine's reduced render: G sees the crop scaled by this factor and the
    losses see its output lifted back with the crop's own fine detail (infer/upsample.py), i.e. what
    a user gets from a style with ``huafeng.render_scale``. 0 = off (G's output as it is)."""

    def __post_init__(self) -> None:
        check(self.steps >= 1, f"train.steps: must be >= 1, got {self.steps}")
        check(
            self.render_lift == 0 or 0.1 <= self.render_lift < 1,
            f"train.render_lift: must be 0 or in [0.1, 1), got {self.render_lift}",
        )
        check(0 <= self.ema_decay < 1, f"train.ema_decay: must be in [0, 1), got {self.ema_decay}")
        for name in ("threads", "adv_start", "adv_ramp", "sample_every", "checkpoint_every", "grad_clip"):
            check(getattr(self, name) >= 0, f"train.{name}: must be >= 0, got {getattr(self, name)}")
        for name in ("d_steps", "log_every", "keep_checkpoints"):
            check(getattr(self, name) >= 1, f"train.{name}: must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class RunCfg:
    """One training recipe: the five parts plus what the exported model card says about it."""

    name: str = "style"
    """Model name (``huafeng.name`` in the ONNX metadata; the style name users type)."""
    tradition: str = ""
    """Art tradition, for the model card and the style browser."""
    description: str = ""
    """One line for the model card."""
    license: str = "research-only"
    """Licence of the trained weights; follows the most restrictive training image licence."""
    model: ModelCfg = field(default_factory=ModelCfg)
    loss: LossCfg = field(default_factory=LossCfg)
    data: DataCfg = field(default_factory=DataCfg)
    optim: OptimCfg = field(default_factory=OptimCfg)
    train: TrainCfg = field(default_factory=TrainCfg)

    def __post_init__(self) -> None:
        check(bool(self.name.strip()), "name: must not be empty")
        mode, d = self.train.mode, self.data
        if mode == "multi":
            check(
                len(d.style) >= 2,
                f"data.style: multi mode needs one entry per style (>= 2), got {len(d.style)}",
            )
            check(
                not d.style_reference or len(d.style_reference) == len(d.style),
                "data.style_reference: multi mode needs one reference per style (or none)",
            )
        check(
            not d.critic_negatives or mode == "style",
            f"data.critic_negatives: only the style mode's critic takes negatives, not {mode}",
        )
        if mode == "cycle":
            check(
                self.loss.cycle > 0 or self.loss.adversarial > 0,
                "loss: cycle mode needs loss.cycle or loss.adversarial > 0",
            )


# ------------------------------------------------------------------------------ dict / YAML


def to_yaml(cfg: RunCfg) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False, allow_unicode=True, width=110)


def from_dict(data: dict[str, Any]) -> RunCfg:
    """Build and validate a :class:`RunCfg`; missing keys take their defaults."""
    check(isinstance(data, dict), f"config: expected a mapping at the top level, got {type(data).__name__}")
    return from_mapping(RunCfg, data)


def load_config(path: str | Path | None, overrides: dict[str, Any] | list[str] | None = None) -> RunCfg:
    """Read a YAML recipe (None = all defaults), apply ``a.b=v`` overrides, validate."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        check(p.is_file(), f"{p}: no such config file")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{p}: not a text file (a recipe is YAML)") from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            at = f" (line {mark.line + 1})" if mark is not None else ""
            raise InputError(f"{p}: not valid YAML{at}") from None
        check(loaded is None or isinstance(loaded, dict), f"{p}: expected a mapping at the top level")
        data = loaded or {}
    return from_dict(apply_overrides(data, overrides))


def apply_data_root(cfg: RunCfg, root: str | Path) -> RunCfg:
    """The same recipe reading its data from another root (the CLI's ``--data``)."""
    return replace(cfg, data=replace(cfg.data, root=str(root)))
