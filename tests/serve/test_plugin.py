"""The example plugin package (examples/huafeng-plugin-duotone), pip-installed and used.

Installed with the venv's pip into a private ``--target`` folder put on ``PYTHONPATH`` of child
processes: entry points are found exactly as from site-packages, while other tests running
against the same venv never see a half-installed plugin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from huafeng.imageio import read_image
from tests.serve.conftest import photo_bytes

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "huafeng-plugin-duotone"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("plugin-site")
    src = tmp_path_factory.mktemp("plugin-src") / "pkg"  # a copy: setuptools builds in-tree
    shutil.copytree(PLUGIN, src, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    cmd = ["flock", "/tmp/huafeng-pip.lock", *pip, "--target", str(target), str(src)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert list(target.glob("huafeng_plugin_duotone-*.dist-info/entry_points.txt"))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(REPO)]), HUAFENG_THREADS="1")


def _huafeng(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "huafeng", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_plugin_filters_and_style_are_listed_and_work(plugin_env: dict[str, str], tmp_path: Path) -> None:
    filters = {f["name"] for f in json.loads(_huafeng(plugin_env, "filters", "--json").stdout)}
    assert {"duotone", "posterize"} <= filters
    styles = {s["name"]: s for s in json.loads(_huafeng(plugin_env, "styles", "--json").stdout)}
    assert styles["duotone_pop"]["source"] == "plugin"
    src = tmp_path / "in.png"
    src.write_bytes(photo_bytes(fmt="PNG"))
    r = _huafeng(
        plugin_env, "stylize", str(src), "-s", "duotone_pop", "-f", "grain", "-o", str(tmp_path / "o.png")
    )
    assert r.returncode == 0, r.stderr
    out = read_image(tmp_path / "o.png").rgb.astype(int)
    assert (out[..., 2] < out[..., 0] + 40).mean() > 0.9  # indigo-to-yellow ramp: little pure blue


def test_plugin_through_the_api(plugin_env: dict[str, str], tmp_path: Path) -> None:
    script = f"""
import sys
from fastapi.testclient import TestClient
from huafeng.serve.app import create_app
from huafeng.serve.settings import ServeSettings
with TestClient(create_app(ServeSettings(data_dir={str(tmp_path)!r})), base_url="http://127.0.0.1") as c:
    names = [s["name"] for s in c.get("/api/v1/styles").json()]
    assert "duotone_pop" in names, names
    assert c.get("/api/v1/styles/duotone_pop/thumbnail").status_code == 200
    assert c.get("/api/v1/filters/posterize/thumbnail").status_code == 200
    r = c.post("/api/v1/stylize", files={{"image": ("a", open(sys.argv[1], "rb").read())}},
               data={{"style": "duotone_pop", "filters": "posterize"}})
    assert r.status_code == 200, r.text
print("ok")
"""
    src = tmp_path / "in.jpg"
    src.write_bytes(photo_bytes())
    r = subprocess.run(
        [sys.executable, "-c", script, str(src)], capture_output=True, text=True, env=plugin_env, timeout=120
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr


def test_a_broken_plugin_is_skipped_with_a_warning(tmp_path: Path) -> None:
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[huafeng.filters]\nbad = no_such_module:filters\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    r = _huafeng(env, "filters", "--json")
    assert r.returncode == 0 and "bw" in {f["name"] for f in json.loads(r.stdout)}
    assert "filter plugin 'bad' failed" in r.stderr
