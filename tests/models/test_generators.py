"""Generator tests, generated from the registry: every registered generator must build, keep the
[0, 1] → [0, 1] same-shape contract at two sizes, pass gradients, and keep its pinned output."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from huafeng.errors import InputError, UnknownNameError
from huafeng.models import GENERATORS, MOBILE_PRESETS, build_generator, is_multistyle

# Tiny widths keep the whole file to a few seconds on 2 shared CPU cores.
SMALL: dict[str, dict[str, object]] = {
    "unet": dict(base_channels=8, depth=2),
    "resnet": dict(base_channels=8, n_blocks=1),
    "multistyle": dict(base_channels=8, n_blocks=1, num_styles=3),
    "mobile": dict(width=8, n_blocks=2, expansion=2, up_width=8),
    "residual_mobile": dict(width=8, n_blocks=1, expansion=2),
    # The pretrained base (fixed size: its weights are the point); convs trainable so every
    # parameter must get a gradient in the generic test below.
    "magenta_cin": dict(num_styles=3, init_styles=[0, 2, 24], train_convs=True),
    # The arbitrary-style base, started from a fixed code (a painting's would do as well).
    "magenta_arbitrary": dict(code=[0.05 * ((i % 7) - 3) for i in range(100)], train_convs=True),
}
# Extra variants whose code paths differ (norms, the 1/8 trunk, the guided-filter ½-res path).
VARIANTS: list[tuple[str, dict[str, object]]] = [
    *SMALL.items(),
    ("resnet", dict(base_channels=8, n_blocks=1, norm="batch")),
    ("resnet", dict(base_channels=8, n_blocks=1, norm="none")),
    ("unet", dict(base_channels=8, depth=3, norm="batch")),
    ("mobile", dict(width=8, n_blocks=1, expansion=2, up_width=8, norm="batch", trunk_width=16)),
    ("mobile", dict(width=8, n_blocks=1, expansion=2, up_width=8, half_res=True)),
    ("mobile", dict(width=8, n_blocks=1, expansion=2, up_width=8, half_res=True, trunk_width=16, kernel=5)),
    ("mobile", dict(width=8, n_blocks=1, expansion=2, up_width=8, full_res_skip=False)),
    ("mobile", dict(width=8, n_blocks=2, expansion=2, up_width=8, pad="reflect", num_styles=3)),
    ("mobile", dict(width=8, n_blocks=1, expansion=2, up_width=8, pad="reflect", half_res=True)),
    ("magenta_cin", dict(init_styles=[5], train_convs=True)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in VARIANTS]


def run(g: nn.Module, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
    if is_multistyle(g):
        k = int(g.num_styles)  # type: ignore[arg-type]
        style = style if style is not None else torch.softmax(torch.randn(x.shape[0], k), 1)
        return g(x, style)  # type: ignore[no-any-return]
    return g(x)  # type: ignore[no-any-return]


def sizes(multiple: int) -> list[tuple[int, int]]:
    a = max(32, 2 * multiple)
    return [(a, a), (a + multiple, a + 2 * multiple)]


def test_every_generator_has_small_kwargs() -> None:
    assert set(SMALL) == set(GENERATORS.names()), "add tiny kwargs for new generators to SMALL"


@pytest.mark.parametrize("name", GENERATORS.names())
def test_builds_with_defaults(name: str) -> None:
    g = build_generator(name).eval()
    m = int(g.multiple)
    with torch.no_grad():
        y = run(g, torch.rand(1, 3, 2 * m * (32 // m or 1), 32))
    assert y.shape == (1, 3, 2 * m * (32 // m or 1), 32)


@pytest.mark.parametrize(("name", "kw"), VARIANTS, ids=IDS)
def test_forward_shape_range_two_sizes(name: str, kw: dict[str, object]) -> None:
    torch.manual_seed(0)
    g = build_generator(name, **kw).eval()
    assert isinstance(g.multiple, int) and g.multiple >= 1
    for h, w in sizes(g.multiple):
        with torch.no_grad():
            y = run(g, torch.rand(2, 3, h, w))
        assert y.shape == (2, 3, h, w)
        assert torch.isfinite(y).all()
        assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


@pytest.mark.parametrize(("name", "kw"), VARIANTS, ids=IDS)
def test_gradients_reach_every_parameter_and_the_input(name: str, kw: dict[str, object]) -> None:
    torch.manual_seed(0)
    g = build_generator(name, **kw).train()
    h, w = sizes(g.multiple)[0]
    x = torch.rand(2, 3, h, w, requires_grad=True)
    run(g, x).square().mean().backward()
    for pname, p in g.named_parameters():
        assert p.grad is not None, f"no gradient for {pname}"
        assert torch.isfinite(p.grad).all(), pname
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


@pytest.mark.parametrize("name", GENERATORS.names())
def test_no_transposed_conv_or_pixelshuffle(name: str) -> None:
    """Resize-convolution only: transposed convs and PixelShuffle draw a checkerboard/grid."""
    g = build_generator(name, **SMALL[name])
    bad = [m for m in g.modules() if isinstance(m, (nn.ConvTranspose2d, nn.PixelShuffle))]
    assert not bad


@pytest.mark.parametrize(
    ("kw", "multiple"),
    [({}, 4), ({"trunk_width": 16}, 8), ({"half_res": True}, 8), ({"half_res": True, "trunk_width": 16}, 16)],
)
def test_mobile_multiple(kw: dict[str, object], multiple: int) -> None:
    assert build_generator("mobile", width=8, n_blocks=1, **kw).multiple == multiple


@pytest.mark.parametrize("preset", sorted(MOBILE_PRESETS))
def test_mobile_presets_build(preset: str) -> None:
    g = build_generator("mobile", **MOBILE_PRESETS[preset]).eval()
    with torch.no_grad():
        assert g(torch.rand(1, 3, 32, 32)).shape == (1, 3, 32, 32)


def test_mobile_has_no_instance_norm_by_default() -> None:
    g = build_generator("mobile")
    assert not any(isinstance(m, nn.InstanceNorm2d) for m in g.modules())


def test_size_not_multiple_is_a_readable_error() -> None:
    g = build_generator("resnet", **SMALL["resnet"])
    with pytest.raises(InputError, match="multiples of 4"):
        g(torch.rand(1, 3, 30, 32))


def test_unknown_generator_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError, match="resnet"):
        build_generator("resnte")


def test_bad_norm_is_a_readable_error() -> None:
    with pytest.raises(InputError, match="unknown norm 'layer'"):
        build_generator("resnet", norm="layer")


def test_multistyle_rejects_wrong_style_width() -> None:
    g = build_generator("multistyle", **SMALL["multistyle"])
    with pytest.raises(InputError, match=r"\(N, 3\)"):
        g(torch.rand(1, 3, 32, 32), torch.ones(1, 2))


def test_multistyle_interpolates_between_styles() -> None:
    torch.manual_seed(0)
    g = build_generator("multistyle", **SMALL["multistyle"]).eval()
    with torch.no_grad():  # untrained styles are identical; give each its own affine parameters
        for m in g.modules():
            if hasattr(m, "gamma") and hasattr(m, "beta"):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.5, 0.5)
    x = torch.rand(1, 3, 32, 32)
    a, b = torch.tensor([[1.0, 0, 0]]), torch.tensor([[0, 1.0, 0]])
    with torch.no_grad():
        out = [g(x, (1 - t) * a + t * b) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
    d_from_a = [float((o - out[0]).abs().mean()) for o in out]
    d_from_b = [float((o - out[-1]).abs().mean()) for o in out]
    assert d_from_a[-1] > 0.01  # the two styles really differ
    assert d_from_a == sorted(d_from_a) and d_from_b == sorted(d_from_b, reverse=True)
    assert 0.2 < d_from_a[2] / d_from_a[-1] < 0.8  # the 50/50 mix lies in between, not at an end


def test_conditional_mobile_interpolates_between_styles() -> None:
    torch.manual_seed(0)
    g = build_generator("mobile", width=8, n_blocks=2, expansion=2, up_width=8, num_styles=3).eval()
    x = torch.rand(1, 3, 32, 32)
    a, b = torch.tensor([[1.0, 0, 0]]), torch.tensor([[0, 1.0, 0]])
    with torch.no_grad():
        assert torch.equal(g(x, a), g(x, b))  # zero-initialised FiLM: styles start identical
        assert g.film is not None
        g.film.weight.uniform_(-0.5, 0.5)
        out = [g(x, (1 - t) * a + t * b) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
    d_from_a = [float((o - out[0]).abs().mean()) for o in out]
    d_from_b = [float((o - out[-1]).abs().mean()) for o in out]
    assert d_from_a[-1] > 1e-3
    assert d_from_a == sorted(d_from_a) and d_from_b == sorted(d_from_b, reverse=True)
    assert 0.2 < d_from_a[2] / d_from_a[-1] < 0.8
    with pytest.raises(ValueError, match="3 styles"):
        g(x)


def test_reflect_padding_removes_the_frame_edge_cue() -> None:
    """On a flat grey input a zero-padded net sees the frame edge; a reflect-padded one cannot."""
    torch.manual_seed(0)
    x = torch.full((1, 3, 64, 64), 0.5)
    spread = {}
    for pad in ("zeros", "reflect"):
        torch.manual_seed(0)
        g = build_generator("mobile", width=8, n_blocks=2, expansion=2, up_width=8, pad=pad).eval()
        with torch.no_grad():
            y = g(x)
        spread[pad] = float((y.amax(dim=(2, 3)) - y.amin(dim=(2, 3))).max())  # per channel, over space
    assert spread["reflect"] < 1e-5 < spread["zeros"]


# Pinned output slices of tiny seeded models: they change only if the architecture (or torch's
# default init) changes. If you changed an architecture on purpose, re-pin with the printed values.
GOLDEN: dict[str, list[float]] = {
    "unet": [0.427561, 0.424794, 0.689627, 0.495177, 0.679624, 0.572026],
    "resnet": [0.493826, 0.546549, 0.511068, 0.45142, 0.559319, 0.39475],
    # Equal to resnet's by construction: conditional IN starts at γ=1, β=0 for every style.
    "multistyle": [0.493826, 0.546549, 0.511068, 0.45142, 0.559319, 0.39475],
    "mobile": [0.488582, 0.493716, 0.523209, 0.479428, 0.483977, 0.539662],
    # The input itself: the residual head is zero-initialised.
    "residual_mobile": [0.085965, 0.419407, 0.752849, 0.216216, 0.549658, 0.8831],
    # Pretrained weights, base style 0: changes only if the base file or its mapping changes.
    "magenta_cin": [0.31786, 0.39278, 0.200658, 0.841379, 0.775075, 0.500609],
    # Pretrained weights, the fixed code of SMALL: changes only if the base file or its mapping changes.
    "magenta_arbitrary": [0.53484, 0.451836, 0.47496, 0.515717, 0.518827, 0.522663],
}


@pytest.mark.parametrize("name", GENERATORS.names())
def test_golden_output_slice(name: str) -> None:
    torch.manual_seed(0)
    g = build_generator(name, **SMALL[name]).eval()
    x = torch.linspace(0, 1, 3 * 32 * 32).reshape(1, 3, 32, 32)
    with torch.no_grad():
        y = run(g, x, torch.tensor([[1.0, 0.0, 0.0]]))
    got = [round(float(v), 6) for v in (*y[0, :, 8, 8], *y[0, :, 20, 24])]
    assert got == pytest.approx(GOLDEN[name], abs=1e-5), f"{name}: {got}"
