"""Draws the app's two icons with a tiny PNG writer (no imaging library needed).

color.png: 192x192, a white speech bubble with a check mark on teal.
outline.png: 32x32, the same bubble as a white outline on transparent (Teams requires this).
Run `python -m appmanifest.icons` to redraw them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _in_bubble(u: float, v: float) -> bool:
    """(u, v) in 0..1: a rounded speech bubble with a tail at the lower left."""
    body = 0.12 <= u <= 0.88 and 0.18 <= v <= 0.70
    corners = [(0.22, 0.28), (0.78, 0.28), (0.22, 0.60), (0.78, 0.60)]
    if body and not (0.22 <= u <= 0.78 or 0.28 <= v <= 0.60):
        body = any((u - cx) ** 2 + (v - cy) ** 2 <= 0.10**2 for cx, cy in corners)
    tail = 0.25 <= u <= 0.45 and 0.70 <= v <= 0.86 and (u - 0.25) <= (0.86 - v) * 1.25
    return body or tail


def _on_check(u: float, v: float, width: float) -> bool:
    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)))
        return (u - ax - t * dx) ** 2 + (v - ay - t * dy) ** 2 <= width**2

    return near(0.32, 0.44, 0.45, 0.56) or near(0.45, 0.56, 0.68, 0.32)


def color(x: int, y: int) -> Pixel:
    u, v = (x + 0.5) / 192, (y + 0.5) / 192
    teal: Pixel = (0, 105, 120, 255)
    if _in_bubble(u, v):
        return (0, 105, 120, 255) if _on_check(u, v, 0.035) else (255, 255, 255, 255)
    return teal


def outline(x: int, y: int) -> Pixel:
    u, v = (x + 0.5) / 32, (y + 0.5) / 32
    edge = 1.5 / 32
    inside = _in_bubble(u, v)
    border = inside and not all(_in_bubble(u + du, v + dv) for du, dv in ((edge, 0), (-edge, 0), (0, edge), (0, -edge)))
    return (255, 255, 255, 255) if border or (inside and _on_check(u, v, 0.05)) else (255, 255, 255, 0)


def draw() -> dict[str, bytes]:
    """The two icons, as the PNG files committed beside this module."""
    return {"color.png": png(192, 192, color), "outline.png": png(32, 32, outline)}


def main() -> None:
    for name, data in draw().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
