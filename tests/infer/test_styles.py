"""Style discovery (builtin, user folder, plugins, filter looks), the default, and name/path resolution."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from huafeng.errors import InputError, UnknownNameError
from huafeng.infer import styles
from huafeng.infer.styles import StyleInfo, list_styles, resolve_style

from .conftest import Models, conv_model

LOOKS = {"oil_painting", "watercolor", "pencil_sketch", "cartoon", "bw", "retro"}


def _plugins(monkeypatch: pytest.MonkeyPatch, **loaders: Any) -> None:
    eps = [SimpleNamespace(name=n, load=lambda fn=fn: fn) for n, fn in loaders.items()]
    seen: list[dict[str, Any]] = []

    def entry_points(**kw: Any) -> list[SimpleNamespace]:
        seen.append(kw)
        return eps if kw.get("group") == "huafeng.styles" else []

    monkeypatch.setattr(styles.importlib.metadata, "entry_points", entry_points)
    styles.refresh_plugin_styles()


def test_filter_looks_are_listed_with_oil_as_default() -> None:
    listed = list_styles()
    assert {s.name for s in listed} >= LOOKS
    assert all(s.kind == "filter" and s.tradition == "classic filter" for s in listed)
    assert [s.name for s in listed] == sorted(s.name for s in listed)
    assert [s.name for s in listed if s.is_default] == ["oil_painting"]
    assert resolve_style("default").name == "oil_painting"


def test_user_folder_model_metadata_is_listed(models: Models, isolated_styles: dict[str, Path]) -> None:
    shutil.copy(models.conv, isolated_styles["user"] / "whatever_file_name.onnx")
    shutil.copy(models.multi, isolated_styles["user"] / "multi.onnx")
    by_name = {s.name: s for s in list_styles()}
    # user files are named by their file name, not by the name inside them (issue: a file exported
    # as "great_wave" silently replaced the shipped great_wave)
    assert "tiny_conv" not in by_name
    conv = by_name["whatever_file_name"]
    assert (conv.kind, conv.source, conv.tradition, conv.license) == (
        "onnx",
        "user",
        "test pattern",
        "CC0-1.0",
    )
    assert conv.description == "tiny tiny_conv model for tests" and conv.card["data"] == "synthetic"
    assert conv.path == isolated_styles["user"] / "whatever_file_name.onnx"
    assert by_name["multi"].style_names == ("photo", "negative")
    assert resolve_style("whatever_file_name") == conv
    assert resolve_style("default").name == "oil_painting"  # user models never become the default


def test_builtin_default_flag_then_most_trained(isolated_styles: dict[str, Path]) -> None:
    builtin = isolated_styles["builtin"]
    conv_model(builtin / "a.onnx", name="alpha", steps="100")
    conv_model(builtin / "b.onnx", name="beta", steps="5000")
    assert resolve_style("default").name == "beta"  # no flag: the most-trained shipped model
    conv_model(builtin / "c.onnx", name="gamma", default="1")
    assert resolve_style("default").name == "gamma"
    assert sum(s.is_default for s in list_styles()) == 1
    assert resolve_style("alpha").source == "builtin"


def test_user_style_overrides_builtin_of_same_name(isolated_styles: dict[str, Path]) -> None:
    conv_model(isolated_styles["builtin"] / "x.onnx", name="ink")
    conv_model(isolated_styles["user"] / "ink.onnx", name="anything")
    with pytest.warns(UserWarning, match="'ink' from builtin is shadowed by the user one"):
        assert resolve_style("ink").source == "user"  # on purpose (same file name), but never silently


def test_user_file_metadata_cannot_shadow_a_shipped_style(isolated_styles: dict[str, Path]) -> None:
    conv_model(isolated_styles["builtin"] / "great_wave.onnx", name="great_wave")
    conv_model(isolated_styles["user"] / "my_wave.onnx", name="great_wave")
    assert resolve_style("great_wave").source == "builtin"
    assert resolve_style("my_wave").source == "user"


def test_user_file_named_default_is_skipped_not_hidden(isolated_styles: dict[str, Path]) -> None:
    conv_model(isolated_styles["user"] / "default.onnx", name="x")
    with pytest.warns(UserWarning, match="alias of the default style"):
        names = {s.name for s in list_styles()}
    assert "default" not in names


def test_listing_the_user_folder_keeps_the_model_size_cap(
    models: Models, isolated_styles: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(models.conv, isolated_styles["user"] / "huge.onnx")
    monkeypatch.setenv("HUAFENG_MAX_MODEL_BYTES", "64")  # the real cap is 256 MiB
    with pytest.warns(UserWarning, match="huge.onnx"):
        assert "huge" not in {s.name for s in list_styles()}


def test_broken_file_in_folder_is_skipped_with_warning(
    models: Models, isolated_styles: dict[str, Path]
) -> None:
    (isolated_styles["user"] / "broken.onnx").write_bytes(b"\x08\x01garbage")
    shutil.copy(models.conv, isolated_styles["user"] / "good.onnx")
    with pytest.warns(UserWarning, match="skipping style file .*broken.onnx"):
        names = {s.name for s in list_styles()}
    assert "good" in names and names >= LOOKS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list_styles()  # warned once per file version, not on every listing


def test_entry_point_plugins(models: Models, monkeypatch: pytest.MonkeyPatch) -> None:
    look = StyleInfo(
        "warm_bw", "classic filter", "sepia then bw", "MIT", "filter", "builtin", filters=("sepia", "bw")
    )
    _plugins(
        monkeypatch,
        paths=lambda: [str(models.multiple8)],
        objects=lambda: [look],
        broken=lambda: 1 / 0,
    )
    with pytest.warns(UserWarning, match="style plugin 'broken' failed"):
        by_name = {s.name: s for s in list_styles()}
    assert by_name["tiny_blocks"].source == "plugin" and by_name["tiny_blocks"].multiple == 8
    assert by_name["warm_bw"].source == "plugin" and by_name["warm_bw"].filters == ("sepia", "bw")


def test_plugin_styles_are_discovered_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    _plugins(monkeypatch, counted=lambda: calls.append(1) or [])
    list_styles()
    list_styles()
    resolve_style("sepia")
    assert calls == [1]  # not rescanned on every listing or lookup
    styles.refresh_plugin_styles()
    list_styles()
    assert calls == [1, 1]


def test_a_local_style_resolves_without_asking_the_plugins(
    isolated_styles: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """User and shipped files win every clash, so naming one (or the default) never pays for the
    entry-point scan; a plugin's own name still reaches it, and shadowing still warns."""
    conv_model(isolated_styles["builtin"] / "b.onnx", name="beta", default="1")
    conv_model(isolated_styles["builtin"] / "ink.onnx", name="ink")
    conv_model(isolated_styles["user"] / "ink.onnx", name="anything")
    calls: list[int] = []
    look = StyleInfo("warm_bw", "classic filter", "sepia", "MIT", "filter", "builtin", filters=("sepia",))
    _plugins(monkeypatch, counted=lambda: calls.append(1) or [look])
    assert resolve_style("default").name == "beta" and resolve_style("beta").source == "builtin"
    with pytest.warns(UserWarning, match="'ink' from builtin is shadowed by the user one"):
        assert resolve_style("ink").source == "user"
    assert calls == []
    assert resolve_style("warm_bw").source == "plugin" and calls == [1]


def test_unknown_name_lists_valid_names_and_suggests() -> None:
    with pytest.raises(UnknownNameError) as e:
        resolve_style("oil_paintng")
    msg = str(e.value)
    assert "Did you mean 'oil_painting'?" in msg
    assert all(n in msg for n in LOOKS | {"default"})
    assert "\n" not in msg


def test_names_match_loosely() -> None:
    assert resolve_style("Oil-Painting").name == "oil_painting"
    assert resolve_style("  cartoon ").name == "cartoon"


@pytest.mark.parametrize(
    "bad", ["../etc/passwd", "..", "styles/../../x", "a\\b", ".hidden", "/etc/passwd", ""]
)
def test_path_like_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        resolve_style(bad)


def test_onnx_path_is_loaded_with_checks(
    models: Models, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    style = resolve_style(str(models.conv))
    assert (style.source, style.kind, style.name) == ("file", "onnx", "tiny_conv")
    with pytest.raises(InputError, match="no such model file"):
        resolve_style(str(tmp_path / "nope.onnx"))
    fake = tmp_path / "photo.onnx"
    fake.write_bytes(b"\xff\xd8\xff\xe0 a JPEG renamed")
    with pytest.raises(InputError, match="not a loadable ONNX model"):
        resolve_style(str(fake))
    with pytest.raises(InputError, match="expected one image input"):
        resolve_style(str(models.two_inputs))
    with pytest.raises(InputError, match="exceeds the model size limit of 1000 bytes"):
        styles.load_style_file(models.conv, max_bytes=1000)


def test_invalid_filter_look_is_rejected() -> None:
    with pytest.raises(UnknownNameError, match="unknown filter 'sparkle'"):
        StyleInfo("x", "t", "d", "MIT", "filter", "plugin", filters=("sparkle",))


def test_services_can_forbid_paths(models: Models) -> None:
    with pytest.raises(UnknownNameError):
        resolve_style(str(models.conv.name), allow_paths=False)
    with pytest.raises(InputError):
        resolve_style(str(models.conv), allow_paths=False)
