"""Every endpoint, good and bad input: 2xx with the right content, or a 4xx with a message."""

from __future__ import annotations

import struct
import time
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient

from huafeng.imageio import read_image
from tests.serve.conftest import BASE, photo_bytes, settings


def _detail(r) -> str:  # type: ignore[no-untyped-def]
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body["detail"]


def _png_bomb(w: int, h: int) -> bytes:
    """A valid PNG header claiming w x h pixels with a tiny body: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_health_metrics_openapi_page(client: TestClient) -> None:
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["workers"] == 1
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/stylize" in spec["paths"] and "/api/v1/stories" in spec["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "huafeng" in page.text and "app.js" in page.text
    m = client.get("/metrics")
    assert m.status_code == 200 and "huafeng_http_requests_total" in m.text
    assert 'route="/healthz"' in m.text


def test_styles_filters_and_thumbnails(client: TestClient) -> None:
    styles = client.get("/api/v1/styles").json()
    names = {s["name"] for s in styles}
    assert {"oil_painting", "sepia"} <= names and sum(s["default"] for s in styles) == 1
    labels = {s["name"]: s["tradition_label"] for s in styles}
    assert labels["ukiyoe"] == "浮世绘与江户绘画 · Ukiyo-e and Edo painting"  # not the data folder's id
    thumb = client.get("/api/v1/styles/sepia/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg"
    img = read_image(thumb.content)
    assert img.size == (160, 160)
    sepia = img.rgb.astype(int)
    assert (sepia[..., 0] >= sepia[..., 2]).mean() > 0.9  # warm: the look itself made it
    again = client.get("/api/v1/styles/sepia/thumbnail")
    assert again.content == thumb.content  # cached
    filters = client.get("/api/v1/filters").json()
    assert "grain" in {f["name"] for f in filters}
    assert client.get("/api/v1/filters/bw/thumbnail").status_code == 200
    assert "unknown" in _detail(client.get("/api/v1/styles/nope/thumbnail")).lower()
    assert client.get("/api/v1/filters/nope/thumbnail").status_code == 404
    assert client.get("/api/v1/styles/..%2F..%2Fetc/thumbnail").status_code in (400, 404)


def test_stylize_returns_the_image_and_saves_history(client: TestClient) -> None:
    src = photo_bytes()
    r = client.post(
        "/api/v1/stylize",
        files={"image": ("p.txt", src, "text/plain")},  # name and type lie; the content decides
        data={"style": "sepia", "strength": "0.5", "format": "png", "save": "true", "filters": "grain"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and r.headers["x-huafeng-style"] == "sepia"
    out = read_image(r.content)
    assert out.size == (96, 64) and not np.array_equal(out.rgb, read_image(src).rgb)
    hist = client.get("/api/v1/history").json()
    assert len(hist) == 1 and hist[0]["id"] == r.headers["x-huafeng-history-id"]
    assert hist[0]["params"]["filters"] == ["grain"]
    stored = client.get(hist[0]["result"])
    assert stored.content == r.content and "immutable" in stored.headers["cache-control"]
    assert client.get(hist[0]["source"]).headers["content-type"] == "image/jpeg"
    assert client.delete(f"/api/v1/history/{hist[0]['id']}").status_code == 204
    assert client.get("/api/v1/history").json() == []
    assert client.delete("/api/v1/history/nope").status_code == 404


def test_stylize_strength_zero_is_the_photo_and_caption_adds_a_band(client: TestClient) -> None:
    src = photo_bytes(fmt="PNG")
    r = client.post(
        "/api/v1/stylize",
        files={"image": ("a", src)},
        data={"style": "sepia", "strength": "0", "format": "png"},
    )
    assert np.array_equal(read_image(r.content).rgb, read_image(src).rgb)
    r = client.post(
        "/api/v1/stylize", files={"image": ("a", src)}, data={"style": "bw", "caption": "你好 hello"}
    )
    assert read_image(r.content).size[1] > 64


def test_stylize_with_a_neural_style_and_a_mask(client: TestClient) -> None:
    mask = np.zeros((64, 96, 3), np.uint8)
    mask[:, 48:] = 255
    from huafeng.imageio import Image, encode_image

    r = client.post(
        "/api/v1/stylize",
        files={"image": ("a", photo_bytes(fmt="PNG")), "mask": ("m", encode_image(Image(rgb=mask), "PNG"))},
        data={"style": "default", "format": "png", "mask_feather": "0"},
    )
    assert r.status_code == 200, r.text
    out, src = read_image(r.content).rgb, read_image(photo_bytes(fmt="PNG")).rgb
    assert np.array_equal(out[:, :40], src[:, :40]) and not np.array_equal(out[:, 56:], src[:, 56:])


def test_stylize_like_an_uploaded_picture(client: TestClient) -> None:
    """``style_image``: the instant look (the picture's style code) instead of a named style."""
    from huafeng.imageio import Image, encode_image

    red = encode_image(Image(rgb=np.full((160, 160, 3), (190, 40, 30), np.uint8)), "PNG")
    blue = encode_image(Image(rgb=np.full((160, 160, 3), (30, 60, 200), np.uint8)), "PNG")
    outs = []
    for pic in (red, blue):
        r = client.post(
            "/api/v1/stylize",
            files={"image": ("a", photo_bytes(fmt="PNG")), "style_image": ("s", pic)},
            data={"format": "png", "save": "true"},
        )
        assert r.status_code == 200, r.text
        assert r.headers["x-huafeng-style"] == "instant"
        outs.append(read_image(r.content).rgb.astype(float))
    assert outs[0][..., 0].mean() > outs[1][..., 0].mean() + 10  # each picture's own colours
    assert client.get("/api/v1/history").json()[0]["params"]["style"] == "instant"
    both = client.post(
        "/api/v1/stylize",
        files={"image": ("a", photo_bytes()), "style_image": ("s", red)},
        data={"style": "sepia"},
    )
    assert both.status_code == 400 and "not both" in _detail(both)
    bad = client.post("/api/v1/stylize", files={"image": ("a", photo_bytes()), "style_image": ("s", b"nope")})
    assert bad.status_code == 415 and "style_image" in _detail(bad)


@pytest.mark.parametrize(
    ("files", "data", "status", "needle"),
    [
        ({"image": ("a.jpg", b"this is not an image", "image/jpeg")}, {}, 415, "not an image"),
        ({"image": ("a.jpg", photo_bytes()[:200], "image/jpeg")}, {}, 400, "truncated"),
        ({"image": ("a.png", _png_bomb(30000, 30000), "image/png")}, {}, 413, "exceeds"),
        ({"image": ("a.jpg", b"", "image/jpeg")}, {}, 400, "empty"),
        ({"image": ("a.jpg", photo_bytes())}, {"style": "no_such_style"}, 400, "unknown style"),
        ({"image": ("a.jpg", photo_bytes())}, {"style": "../../etc/passwd"}, 400, "not a style name"),
        ({"image": ("a.jpg", photo_bytes())}, {"style": "/tmp/x.onnx"}, 400, "not a style name"),
        ({"image": ("a.jpg", photo_bytes())}, {"strength": "1.5"}, 422, "strength"),
        ({"image": ("a.jpg", photo_bytes())}, {"strength": "lots"}, 422, "strength"),
        ({"image": ("a.jpg", photo_bytes())}, {"filters": "grain,nope"}, 400, "nope"),
        ({"image": ("a.jpg", photo_bytes())}, {"format": "bmp"}, 400, "format"),
        ({"image": ("a.jpg", photo_bytes())}, {"max_size": "3"}, 422, "max_size"),
        ({}, {"style": "sepia"}, 422, "image"),
    ],
)
def test_stylize_bad_input(client: TestClient, files: dict, data: dict, status: int, needle: str) -> None:  # type: ignore[type-arg]
    r = client.post("/api/v1/stylize", files=files or {"other": ("x", b"1")}, data=data)
    assert r.status_code == status, r.text
    assert needle.lower() in _detail(r).lower()


def test_oversize_body_is_refused_while_streaming(client: TestClient) -> None:
    big = b"\xff\xd8" + b"\0" * (3 * 1024 * 1024)

    def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    r = client.post("/api/v1/stylize", files={"image": ("a.jpg", big)})
    assert r.status_code == 413 and "limit" in _detail(r)
    r = client.post(
        "/api/v1/stylize", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert r.status_code == 413


def test_presets_roundtrip_and_bad_names(client: TestClient) -> None:
    look = {"style": "sepia", "strength": 0.7, "preserve_color": True, "filters": ["grain"]}
    assert client.put("/api/v1/presets/my look 1", json=look).status_code == 200
    assert client.put("/api/v1/presets/水墨", json=look).status_code == 200
    presets = client.get("/api/v1/presets").json()
    assert [p["name"] for p in presets] == ["my look 1", "水墨"] and presets[0]["params"] == look
    assert client.put("/api/v1/presets/.hidden", json=look).status_code == 400
    assert client.put("/api/v1/presets/a%2Fb", json=look).status_code in (400, 404, 405)
    assert client.put("/api/v1/presets/x", json={**look, "style": "nope"}).status_code == 400
    assert client.put("/api/v1/presets/x", json={**look, "strength": 3}).status_code == 422
    assert client.put("/api/v1/presets/x", json={**look, "filters": ["nope"]}).status_code == 400
    assert client.delete("/api/v1/presets/水墨").status_code == 204
    assert client.delete("/api/v1/presets/水墨").status_code == 404


def test_story_job_with_polling_and_events(client: TestClient) -> None:
    files = [("photos", (f"{i}.jpg", photo_bytes(seed=i, w=80 + 16 * i))) for i in range(3)]
    r = client.post("/api/v1/stories", files=files, data={"style": "sepia", "captions": ["one", "二", ""]})
    assert r.status_code == 202, r.text
    job = r.json()
    with client.stream("GET", f"/api/v1/jobs/{job['id']}/events") as s:
        events = [line for line in s.iter_lines() if line.startswith("data:")]
    assert '"status": "done"' in events[-1]
    done = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "done" and set(done["results"]) == {"strip", "gif"}
    gif = client.get(done["results"]["gif"])
    assert gif.headers["content-type"] == "image/gif" and gif.content[:6] == b"GIF89a"
    assert read_image(client.get(done["results"]["strip"]).content).size[0] > 3 * 64
    assert client.get("/api/v1/jobs").json()[0]["id"] == job["id"]
    assert client.get("/api/v1/history").json()[0]["kind"] == "story"
    # the uploads themselves are never served back (only results are)
    import hashlib

    for _, (_, data) in files:
        assert client.get("/api/v1/files/" + hashlib.sha256(data).hexdigest()).status_code == 404


def test_story_in_the_instant_look(client: TestClient) -> None:
    """``style_image`` on a story: the picture's code is read at queue time and kept in the job."""
    from huafeng.imageio import Image, encode_image

    red = encode_image(Image(rgb=np.full((160, 160, 3), (190, 40, 30), np.uint8)), "PNG")
    files = [("photos", (f"{i}.jpg", photo_bytes(seed=i))) for i in range(2)] + [("style_image", ("s", red))]
    r = client.post("/api/v1/stories", files=files, data={"format": "strip"})
    assert r.status_code == 202, r.text
    with client.stream("GET", f"/api/v1/jobs/{r.json()['id']}/events") as s:
        assert '"status": "done"' in [line for line in s.iter_lines() if line.startswith("data:")][-1]
    entry = client.get("/api/v1/history").json()[0]
    assert entry["params"]["style"] == "instant" and len(entry["params"]["style_code"]) == 100
    strip = read_image(client.get(entry["result"]).content).rgb.astype(float)
    assert strip[..., 0].mean() > strip[..., 2].mean() + 5  # the red picture's look
    photo = [("photos", ("a.jpg", photo_bytes()))]
    with_red = [*photo, ("style_image", ("s", red))]
    both = client.post("/api/v1/stories", files=with_red, data={"style": "sepia"})
    assert both.status_code == 400 and "not both" in _detail(both)
    bad = client.post("/api/v1/stories", files=[*photo, ("style_image", ("s", b"nope"))])
    assert bad.status_code == 415 and "style_image" in _detail(bad)
    assert len(client.get("/api/v1/jobs").json()) == 1  # the refused ones queued nothing


def test_story_and_job_bad_input(client: TestClient) -> None:
    ok = ("photos", ("a.jpg", photo_bytes()))
    assert client.post("/api/v1/stories", files=[ok], data={"style": "nope"}).status_code == 400
    r = client.post("/api/v1/stories", files=[ok, ("photos", ("b.jpg", b"GIF89a broken"))])
    assert r.status_code in (400, 415) and "photos[1]" in _detail(r)
    assert client.post("/api/v1/stories", files=[ok] * 9).status_code == 400
    assert client.post("/api/v1/stories", files=[ok], data={"captions": ["a", "b"]}).status_code == 400
    assert client.get("/api/v1/jobs/nope").status_code == 404
    assert client.get("/api/v1/jobs/nope/events").status_code == 404
    assert client.get("/api/v1/files/" + "0" * 64).status_code == 404
    assert client.get("/api/v1/files/..%2Fhuafeng.sqlite3").status_code == 404


def test_token_required_off_loopback_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from huafeng.errors import InputError

    with pytest.raises(InputError, match="token"):
        settings(tmp_path, host="0.0.0.0")
    token = "s3cret-token-0123456789"
    app = __import__("huafeng.serve.app", fromlist=["create_app"]).create_app(
        settings(tmp_path, host="0.0.0.0", token=token)
    )
    with TestClient(app, base_url="http://192.0.2.1") as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/api/v1/styles").status_code == 401
        assert c.get("/metrics").status_code == 401
        assert c.get("/api/v1/styles", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/v1/styles", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        c.cookies.set("huafeng_token", token)
        assert c.get("/api/v1/filters").status_code == 200


def test_loopback_bind_refuses_foreign_host_headers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from huafeng.serve.app import create_app

    with TestClient(create_app(settings(tmp_path)), base_url="http://evil.example") as c:
        assert c.get("/api/v1/styles").status_code == 400  # DNS rebinding: wrong Host


def test_full_queue_answers_503_with_retry_after(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    from huafeng.serve.app import create_app

    app = create_app(settings(tmp_path, workers=1, queue_size=0))
    gate = threading.Event()
    with TestClient(app, base_url=BASE) as c:
        svc = app.state.service
        svc.pool.submit(lambda: gate.wait(10))  # occupy the only worker
        time.sleep(0.05)
        r = c.post("/api/v1/stylize", files={"image": ("a", photo_bytes())}, data={"style": "sepia"})
        gate.set()
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        assert "busy" in _detail(r)
        assert "huafeng_rejected_total 1.0" in c.get("/metrics").text


def test_request_timeout_is_503(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    from huafeng.serve.app import create_app

    app = create_app(settings(tmp_path, workers=1, queue_size=4, request_timeout_s=0.3))
    gate = threading.Event()
    with TestClient(app, base_url=BASE) as c:
        app.state.service.pool.submit(lambda: gate.wait(10))
        r = c.post("/api/v1/stylize", files={"image": ("a", photo_bytes())}, data={"style": "sepia"})
        gate.set()
        assert r.status_code == 503 and "overloaded" in _detail(r)


def test_cross_site_writes_are_refused(client: TestClient) -> None:
    files = {"image": ("a", photo_bytes())}
    r = client.post(
        "/api/v1/stylize", files=files, data={"style": "bw"}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "cross-site" in _detail(r)
    same = client.post("/api/v1/stylize", files=files, data={"style": "bw"}, headers={"Origin": BASE})
    assert same.status_code == 200
    assert (
        client.get("/api/v1/styles", headers={"Origin": "https://evil.example"}).status_code == 200
    )  # reads: CORS
