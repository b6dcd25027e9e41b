"""What storing a photo costs: intake's processing (sniff, decode, turn upright, bound to
2048 px, re-encode as JPEG without metadata, make the 320 px thumbnail) per input, timed
in-process on photo-like images of a few sizes in each accepted format.

    python -m benchmarks.photos                 # 5 rounds per input
    python -m benchmarks.photos --rounds 9

Inputs are made here, not downloaded: a gradient scene with sensor-like noise, blurred a
little so it compresses like a camera's photo, saved with an EXIF block (orientation and a
GPS position) as JPEG (quality 92), PNG and WebP (quality 90). Inputs over intake's 5 MB
limit are listed but not timed (intake refuses them). Results are printed and written as
JSON; benchmarks/photos.md records them.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Annotated, Any

import typer
from PIL import Image, ImageFilter

from services.intake.domain.photos import MAX_BYTES, process

app = typer.Typer(add_completion=False)
SIZES = [(1280, 960), (2048, 1536), (4032, 3024)]
FORMATS = {"JPEG": {"quality": 92}, "PNG": {"compress_level": 6}, "WEBP": {"quality": 90}}


def scene(width: int, height: int) -> Image.Image:
    """Photo-like content: smooth light and colour with fine noise, so encoders work as
    hard as on a real photo (a flat image would flatter every figure)."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 48)
    blue = Image.blend(red, noise, 0.5)
    image = Image.merge(
        "RGB", (Image.blend(red, noise, 0.25), Image.blend(green, noise, 0.25), blue)
    )
    return image.filter(ImageFilter.GaussianBlur(0.8))


def encoded(image: Image.Image, kind: str) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    out = BytesIO()
    image.save(out, kind, exif=exif.tobytes(), **FORMATS[kind])
    return out.getvalue()


def measure(data: bytes, rounds: int) -> dict[str, float]:
    """Median wall and CPU seconds of `process` over `rounds`, after one warm-up."""
    process(data)
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        stored = process(data)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "wall_s": statistics.median(walls),
        "cpu_s": statistics.median(cpus),
        "stored_bytes": len(stored.data),
        "thumbnail_bytes": len(stored.thumbnail),
    }


def run(rounds: int) -> list[dict[str, Any]]:
    rows = []
    for width, height in SIZES:
        image = scene(width, height)
        for kind in FORMATS:
            data = encoded(image, kind)
            row: dict[str, Any] = {"format": kind, "size": f"{width}×{height}", "bytes": len(data)}
            if len(data) <= MAX_BYTES:
                row |= measure(data, rounds)
                megabytes = len(data) / 1_000_000
                row["cpu_ms_per_mb"] = 1000 * row["cpu_s"] / megabytes
                row["cpu_ms_per_megapixel"] = 1000 * row["cpu_s"] / (width * height / 1e6)
            rows.append(row)
    return rows


def _line(row: dict[str, Any]) -> str:
    head = f"| {row['format']} | {row['size']} | {row['bytes'] / 1e6:.2f} MB |"
    if "cpu_s" not in row:
        return head + " over 5 MB: refused | | | | |"
    return (
        head + f" {row['wall_s'] * 1000:.0f} ms | {row['cpu_s'] * 1000:.0f} ms |"
        f" **{row['cpu_ms_per_mb']:.0f} ms** | {row['cpu_ms_per_megapixel']:.0f} ms |"
        f" {row['stored_bytes'] / 1e3:.0f} kB |"
    )


@app.command()
def main(
    rounds: Annotated[int, typer.Option(min=1, help="timed rounds per input")] = 5,
    out: Annotated[Path | None, typer.Option(help="JSON results")] = None,
) -> None:
    rows = run(rounds)
    print("| format | pixels | input | wall | CPU | CPU per MB | CPU per MP | stored |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(_line(row))
    load = os.getloadavg()[0]
    print(f"\n{platform.python_version()}, Pillow {Image.__version__}, load average {load:.1f}")
    target = out or Path(tempfile.gettempdir()) / "hotline-photos-benchmark.json"
    target.write_text(json.dumps({"load": load, "rows": rows}, indent=1), encoding="utf-8")
    print(f"written to {target}")


if __name__ == "__main__":
    app()
