"""The page in a real browser: upload, pick a style, move the slider, see the result, download.

Playwright drives Debian's ``chromium`` (its own browser download cannot work offline). A
screenshot of the page is saved under ``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from huafeng.imageio import Image, read_image, write_image
from tests.serve.conftest import settings
from tests.serve.live import live_server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium on PATH (install Debian's chromium: `apt-get install chromium`)")


def test_page_upload_style_slider_result_download(tmp_path: Path, sample_photo: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (browser extra)")
    exe = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        live_server(settings(tmp_path / "data", workers=2, queue_size=8)) as url,
        sync_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1000}, accept_downloads=True)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector(".style-card img")
        # before any upload: no broken "original" image, no colour-look row the page marks hidden
        assert not page.is_visible("#work") and not page.is_visible("#look-row")
        headings = page.eval_on_selector_all(".tradition h3", "hs => hs.map(h => h.textContent)")
        assert "浮世绘与江户绘画 · Ukiyo-e and Edo painting" in headings
        assert not any("_" in h or "Ukiyoe And" in h for h in headings)
        page.set_input_files("#file", str(sample_photo))
        page.wait_for_selector("#after[src^='blob:']", timeout=30_000)  # the first live preview
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # down to the gallery
        page.click(".style-card[data-style='sepia']")
        # picking a style down there brings the result back into view
        page.wait_for_function(
            "() => { const r = document.getElementById('compare').getBoundingClientRect();"
            " return r.top >= -1 && r.top < window.innerHeight; }",
            timeout=5_000,
        )
        first = page.get_attribute("#after", "src")
        page.fill("#strength", "0.4")
        page.dispatch_event("#strength", "input")
        page.wait_for_function("(s) => document.querySelector('#after').src !== s", arg=first, timeout=30_000)
        assert "sepia" in page.text_content("#status")
        assert page.text_content("#strength-out") == "0.40"
        page.click("#render")
        page.wait_for_selector("#download:not([hidden])", timeout=60_000)
        page.wait_for_selector(".history-item img", timeout=10_000)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "service_page.png"), full_page=False)
        with page.expect_download() as dl:
            page.click("#download")
        saved = tmp_path / "download.jpg"
        dl.value.save_as(saved)
        img = read_image(saved)
        assert img.size == read_image(sample_photo).size
        # "Try it now": the instant look of one's own picture; a gallery click ends it
        painting = tmp_path / "red.png"
        write_image(painting, Image(rgb=np.full((160, 160, 3), (190, 40, 30), np.uint8)))
        assert page.is_disabled("#learn-try")
        page.set_input_files("#learn-files", str(painting))
        shown = page.get_attribute("#after", "src")
        page.click("#learn-try")
        page.wait_for_function("(s) => document.querySelector('#after').src !== s", arg=shown, timeout=30_000)
        page.wait_for_function("document.querySelector('#status').textContent.includes('instant')")
        assert "instant look" in page.text_content("#learn-status")
        page.screenshot(path=str(ARTIFACTS / "service_page_instant.png"), full_page=True)
        page.click("#captions summary")  # a meme made during the instant look has that look
        page.fill("#meme-bottom", "好耶")
        page.click("#meme")
        page.wait_for_function("document.querySelector('#status').textContent.includes('meme ready')")
        assert "instant" in (page.get_attribute("#download", "download") or "")
        page.fill("#meme-bottom", "")
        page.click("#captions summary")
        page.click(".style-card[data-style='sepia']")
        assert "selected" not in (page.get_attribute("#learn-try", "class") or "")
        page.wait_for_function("document.querySelector('#status').textContent.includes('sepia')")
        # render straight after a slider move: the preview still waiting out its delay must not land
        # after the (fast) full render and hide its download button
        page.fill("#strength", "0.6")
        page.dispatch_event("#strength", "input")
        page.click("#render")
        page.wait_for_selector("#download:not([hidden])", timeout=60_000)
        page.wait_for_timeout(800)  # longer than the preview delay plus a preview request
        assert page.is_visible("#download") and page.get_attribute("#compare", "data-state") == "full"
        # the phone-sized viewport: the layout collapses to one column and nothing overflows
        page.set_viewport_size({"width": 390, "height": 844})
        wide = page.evaluate(
            "[...document.querySelectorAll('main *, header *')].filter(e => e.offsetParent !== null"
            " && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '#' + e.id)"
        )
        assert wide == []
        page.screenshot(path=str(ARTIFACTS / "service_page_phone.png"))
        browser.close()
        assert errors == []


@pytest.mark.slow
def test_page_phrase_preset_meme_and_story(tmp_path: Path, sample_photo: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (browser extra)")
    exe = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        live_server(settings(tmp_path / "data", workers=2, queue_size=8)) as url,
        sync_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector(".style-card img")
        page.set_input_files("#file", str(sample_photo))
        page.wait_for_selector("#after[src^='blob:']", timeout=30_000)
        page.fill("#ask", "黑白，淡一点")
        # the first phrase loads the word-segmentation dictionary (warm-up started it already)
        page.wait_for_function("document.querySelector('#ask-out').textContent.length > 0", timeout=90_000)
        assert float(page.input_value("#strength")) < 1.0
        page.fill("#preset-name", "soft bw")
        page.click("#preset-save")
        page.wait_for_selector("#presets .chip", timeout=10_000)
        assert "soft bw" in page.text_content("#presets")
        page.click("#captions summary")
        page.fill("#meme-top", "打工人")
        page.click("#meme")
        page.wait_for_selector("#download:not([hidden])", timeout=60_000)
        page.set_input_files("#story-files", [str(sample_photo), str(sample_photo.with_name("coffee.jpg"))])
        page.fill("#story-title", "周末 🌊 weekend")
        page.select_option("#story-format", "1:1")
        page.fill("#story-captions input >> nth=0", "出去走走吧 🐱")
        page.click("#story-go")
        page.wait_for_selector("#story-result img[alt='story page']", timeout=120_000)
        page.wait_for_function(
            "document.querySelector(\"#story-result img[alt='story page']\").naturalWidth > 0", timeout=30_000
        )
        w, h = page.evaluate(
            "(() => { const i = document.querySelector(\"#story-result img[alt='story page']\");"
            " return [i.naturalWidth, i.naturalHeight]; })()"
        )
        assert w == h == 1080  # the 1:1 post the page asked for, with its title
        if importlib.util.find_spec("av") is not None:  # video jobs need the video extra
            from tests.serve.test_video_jobs import _clip

            clip = tmp_path / "clip.mp4"
            clip.write_bytes(_clip(tmp_path))
            page.set_input_files("#video-file", str(clip))
            page.click("#video-go")
            page.wait_for_selector("#video-result video", timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "service_page_story.png"), full_page=True)
        browser.close()
        assert errors == []


@pytest.mark.slow
def test_page_use_my_own_style(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upload a picture, name the style, follow the job, and find the new style selected in the gallery."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (browser extra)")
    if importlib.util.find_spec("torch") is None:
        pytest.skip("learning a style needs the train extra")
    exe = _chromium()
    monkeypatch.setenv("HUAFENG_STYLES_DIR", str(tmp_path / "styles"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # see tests/serve/test_learn_jobs.py
    painting = tmp_path / "painting.png"
    from tests.serve.test_learn_jobs import painting_bytes

    painting.write_bytes(painting_bytes(192))
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(settings(tmp_path / "data")) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector(".style-card img")
        assert page.is_disabled("#learn-go")
        page.set_input_files("#learn-files", str(painting))
        page.fill("#learn-name", "my_stripes")
        # a 3-second budget instead of the page's 1-4 minutes, so the test stays short
        page.evaluate(
            "() => { const s = document.getElementById('learn-minutes');"
            " s.add(new Option('3 s', '0.05')); s.value = '0.05'; }"
        )
        page.click("#learn-go")
        page.wait_for_selector("#learn-result img", timeout=240_000)
        assert page.get_attribute(".style-card.selected", "data-style") == "my_stripes"
        assert "is ready" in page.text_content("#learn-result")
        page.screenshot(path=str(ARTIFACTS / "service_page_learn.png"), full_page=True)
        page.fill("#learn-name", "ukiyoe")  # a shipped name: one readable line, no job
        page.click("#learn-go")
        page.wait_for_function("document.querySelector('#learn-status').textContent.includes('shipped')")
        browser.close()
        assert errors == []
