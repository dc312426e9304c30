"""Phrases, memes, stickers and looks through the API (the caption and looks packages)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from huafeng.imageio import read_frames, read_image
from tests.serve.conftest import photo_bytes


def test_ask_explains_a_phrase(client: TestClient) -> None:
    r = client.get("/api/v1/ask", params={"phrase": "黑白，淡一点"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        "bw" in (body["filters"] + [body["style"]]) and body["strength"] is not None and body["strength"] < 1
    )
    assert client.get("/api/v1/ask", params={"phrase": "qwxzv"}).status_code == 400
    assert client.get("/api/v1/ask", params={"phrase": ""}).status_code == 422


def test_stylize_with_ask_and_explicit_fields_winning(client: TestClient) -> None:
    src = photo_bytes(fmt="PNG")
    r = client.post("/api/v1/stylize", files={"image": ("a", src)}, data={"ask": "黑白", "format": "png"})
    assert r.status_code == 200, r.text
    out = read_image(r.content).rgb.astype(int)
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 2  # black and white
    r = client.post(
        "/api/v1/stylize",
        files={"image": ("a", src)},
        data={"ask": "黑白 淡一点", "strength": "0", "format": "png"},
    )
    assert np.array_equal(read_image(r.content).rgb, read_image(src).rgb)  # explicit strength 0 wins
    bad = client.post("/api/v1/stylize", files={"image": ("a", src)}, data={"ask": "qwxzv"})
    assert bad.status_code == 400 and "understand" in bad.json()["detail"]


def test_meme_and_sticker(client: TestClient) -> None:
    src = photo_bytes(w=160, h=120)
    r = client.post("/api/v1/meme", files={"image": ("a", src)}, data={"top": "打工人", "bottom": "冲鸭"})
    assert r.status_code == 200, r.text
    meme = read_image(r.content)
    assert meme.size == (160, 120) and not np.array_equal(meme.rgb, read_image(src).rgb)
    assert client.post("/api/v1/meme", files={"image": ("a", src)}).status_code == 400
    assert (
        client.post(
            "/api/v1/meme", files={"image": ("a", src)}, data={"top": "x", "style": "nope"}
        ).status_code
        == 400
    )
    r = client.post(
        "/api/v1/sticker",
        files={"image": ("a", src)},
        data={"text": "好耶", "fps": "6", "seconds": "1", "size": "96"},
    )
    assert r.status_code == 200, r.text
    frames = read_frames(r.content)  # GIF merges identical neighbours: count time, not frames
    assert r.headers["content-type"] == "image/gif" and len(frames) >= 2
    assert abs(sum(f.duration_ms or 0 for f in frames) - 1000) <= 20
    bad = client.post("/api/v1/sticker", files={"image": ("a", src)}, data={"text": "x", "anim": "explode"})
    assert bad.status_code == 400
    assert (
        client.post(
            "/api/v1/sticker", files={"image": ("a", src)}, data={"text": "x", "fps": "99"}
        ).status_code
        == 422
    )


def test_looks_listed_and_applied_by_name_only(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huafeng.looks import Look, LookStore, identity_lut

    monkeypatch.setenv("HUAFENG_LOOKS_DIR", str(tmp_path / "looks"))
    lut = identity_lut(9)
    table = lut.table.copy()
    table[..., 2] = 0.0  # a look that removes all blue: easy to see
    LookStore().save(Look("noblue", type(lut)(table, title="noblue")))
    assert [x["name"] for x in client.get("/api/v1/looks").json()] == ["noblue"]
    src = photo_bytes(fmt="PNG")
    r = client.post(
        "/api/v1/stylize",
        files={"image": ("a", src)},
        data={"style": "sepia", "strength": "0", "look": "noblue", "format": "png"},
    )
    assert r.status_code == 200, r.text
    assert read_image(r.content).rgb[..., 2].max() <= 3
    for bad in ("nope", "../looks/noblue", "/etc"):
        r = client.post("/api/v1/stylize", files={"image": ("a", src)}, data={"look": bad})
        assert r.status_code == 400, (bad, r.text)
    assert json.loads(json.dumps(client.get("/api/v1/looks").json()))  # plain JSON


def test_meme_and_sticker_follow_the_preview_settings(client: TestClient) -> None:
    """The page sends strength, colours and filters with a meme: strength 0 is the plain photo's meme."""
    src = photo_bytes(w=160, h=120)
    data = {"bottom": "冲鸭", "format": "png"}

    def meme(**extra: str) -> np.ndarray:
        r = client.post("/api/v1/meme", files={"image": ("a", src)}, data={**data, **extra})
        assert r.status_code == 200, r.text
        return read_image(r.content).rgb.astype(int)

    plain = meme()
    assert np.abs(meme(style="sepia", strength="0") - plain).mean() < 1.0
    assert np.abs(meme(style="sepia") - plain).mean() > 5.0
    bw = meme(style="sepia", filters="bw")
    assert np.abs(bw[..., 0] - bw[..., 2]).mean() < 3  # the filter after the style was applied
    r = client.post(
        "/api/v1/sticker",
        files={"image": ("a", src)},
        data={"text": "好耶", "style": "sepia", "filters": "bw", "seconds": "0.5"},
    )
    assert r.status_code == 200, r.text
    frame = read_image(r.content).rgb.astype(int)
    assert np.abs(frame[..., 0] - frame[..., 2]).mean() < 3


def test_meme_and_sticker_in_the_instant_look(client: TestClient) -> None:
    """``style_image`` on memes and stickers: the picture's own style, as on ``/stylize``."""
    from huafeng.imageio import Image, encode_image

    src = photo_bytes(w=160, h=120)
    red = encode_image(Image(rgb=np.full((160, 160, 3), (190, 40, 30), np.uint8)), "PNG")
    blue = encode_image(Image(rgb=np.full((160, 160, 3), (30, 60, 200), np.uint8)), "PNG")
    reds = []
    for pic in (red, blue):
        r = client.post("/api/v1/meme", files={"image": ("a", src), "style_image": ("s", pic)},
                        data={"bottom": "冲鸭", "format": "png"})  # fmt: skip
        assert r.status_code == 200, r.text
        reds.append(read_image(r.content).rgb[..., 0].astype(float).mean())
    assert reds[0] > reds[1] + 10  # each picture's own colours
    r = client.post("/api/v1/sticker", files={"image": ("a", src), "style_image": ("s", red)},
                    data={"text": "好耶", "seconds": "0.5"})  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif", r.text
    both = client.post("/api/v1/meme", files={"image": ("a", src), "style_image": ("s", red)},
                       data={"bottom": "x", "style": "sepia"})  # fmt: skip
    assert both.status_code == 400 and "not both" in both.json()["detail"]
    bad = client.post("/api/v1/sticker", files={"image": ("a", src), "style_image": ("s", b"nope")},
                      data={"text": "x"})  # fmt: skip
    assert bad.status_code == 415 and "style_image" in bad.json()["detail"]
