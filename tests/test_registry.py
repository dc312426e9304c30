"""Registry: one front door, a warning on a duplicate name, hints for typos, plugins loaded lazily."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.errors import InputError, UnknownNameError
from huafeng.registry import Registry


def test_register_build_and_names() -> None:
    reg: Registry[int] = Registry("thing")

    @reg.register("double")
    def double(x: int = 2) -> int:
        return 2 * x

    assert reg.names() == ["double"] and "double" in reg and len(reg) == 1
    assert reg.build("double", x=4) == 8
    with pytest.raises(InputError, match="unknown argument 'y'"):
        reg.build("double", y=1)


def test_a_second_registration_warns_and_wins() -> None:
    reg: Registry[int] = Registry("thing")
    reg.add("a", lambda: 1)
    with pytest.warns(UserWarning, match="registered twice"):
        reg.add("a", lambda: 2)
    assert reg.build("a") == 2


def test_unknown_name_lists_valid_ones_with_a_hint() -> None:
    reg: Registry[int] = Registry("filter")
    reg.add("sepia", lambda: 1)
    reg.add("bw", lambda: 2)
    with pytest.raises(UnknownNameError, match=r"Did you mean 'sepia'\?.*Valid: bw, sepia"):
        reg.get("sepa")


def test_the_loader_runs_once_at_the_first_lookup_not_at_import() -> None:
    calls: list[int] = []
    reg: Registry[int] = Registry("filter", loader=lambda: calls.append(1) or reg.add("plug", lambda: 3))
    reg.add("builtin", lambda: 0)  # registering never triggers plugins
    assert calls == []
    assert reg.names() == ["builtin", "plug"] and calls == [1]
    assert reg.build("plug") == 3 and calls == [1]


def test_importing_huafeng_infer_runs_no_plugin() -> None:
    import subprocess
    import sys

    code = (
        "import importlib.metadata as m, json\n"
        "seen = []\n"
        "real = m.entry_points\n"
        "m.entry_points = lambda **kw: seen.append(kw.get('group')) or real(**kw)\n"
        "import huafeng.infer\n"
        "print(json.dumps(seen))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "huafeng.filters" not in out.stdout


def test_entries_carry_factory_description_and_source() -> None:
    reg: Registry[int] = Registry("thing")

    @reg.register("two")
    def make_two() -> int:
        """Builds a two.

        More text that listings do not show."""
        return 2

    reg.add("three", lambda: 3, description="a three", source="plugin:extra")
    (n2, e2), (n3, e3) = reg.entries()
    assert (n2, e2.description, e2.source, e2.factory()) == ("three", "a three", "plugin:extra", 3)
    assert (n3, e3.description, e3.source) == ("two", "Builds a two.", "builtin")
    assert reg.entry("two").factory is make_two


def test_did_you_mean_is_one_spelling_and_shows_a_mappings_values() -> None:
    from huafeng.registry import did_you_mean

    assert did_you_mean("ukiyeo", ["ukiyoe", "sepia"]) == " Did you mean 'ukiyoe'?"
    assert did_you_mean("qqq", ["ukiyoe"]) == ""
    assert did_you_mean("oil_paint", {"oil_painting": "Oil-Painting"}) == " Did you mean 'Oil-Painting'?"


def test_filters_front_door_lists_and_creates() -> None:
    from huafeng.infer.filters import FILTERS, create_filter, list_filters

    listed = dict(list_filters())
    assert listed["sepia"] and all(FILTERS.entry(n).source == "builtin" for n in ("sepia", "bw"))
    x = np.full((4, 4, 3), 0.5, np.float32)
    np.testing.assert_array_equal(create_filter("sepia")(x.copy()), FILTERS.get("sepia")(x.copy()))
    with pytest.raises(UnknownNameError, match="Did you mean 'sepia'"):
        create_filter("sepai")
