"""The Teams app package: its manifest passes Microsoft's official schema; icons are right."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from appmanifest.build import COMMANDS, build_package

SCHEMAS = Path(__file__).resolve().parent.parent / "node" / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
BOT_ID = "6a1c9a2e-0000-4000-8000-00000000abcd"


def official_schema(version: str) -> dict:
    path = SCHEMAS / f"v{version}" / "MicrosoftTeams.schema.json"
    if not path.is_file():
        pytest.fail("the official manifest schema is missing: run make test (npm ci --prefix tests/node)")
    return json.loads(path.read_text())


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)  # our writer: 8-bit RGBA
    pos, idat = 8, b""
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = [tuple(raw[y * stride + 1 + x * 4:y * stride + 5 + x * 4]) for y in range(height) for x in range(width)]
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, pixels


def test_package_passes_the_official_manifest_schema(tmp_path: Path) -> None:
    path = build_package(tmp_path / "app.zip", bot_id=BOT_ID, version="1.2.3")
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color, outline = package.read("color.png"), package.read("outline.png")
    schema = official_schema(manifest["manifestVersion"])
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(manifest))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors]
    assert manifest["id"] == BOT_ID and manifest["bots"][0]["botId"] == BOT_ID and manifest["version"] == "1.2.3"
    assert manifest["manifestVersion"].startswith("1.2")
    for entry in manifest["bots"][0]["commandLists"]:
        assert [c["title"] for c in entry["commands"]] == ["convene", "status", "start", "close", "review", "help"]
    assert all(len(t) <= 32 and len(d) <= 128 for t, d in COMMANDS)
    w, h, _ = png_pixels(color)
    assert (w, h) == (192, 192)
    w, h, pixels = png_pixels(outline)
    assert (w, h) == (32, 32)
    assert all(p[3] == 0 or p[:3] == (255, 255, 255) for p in pixels)  # white on transparent only
    assert any(p[3] == 255 for p in pixels)


def test_sdbot_package_writes_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "pkg" / "sdbot.zip"
    env = {"PATH": "/usr/bin:/bin", "MicrosoftAppId": BOT_ID}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "package", "--out", str(out)], capture_output=True, text=True,
                            env=env, timeout=60, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "upload" in result.stdout.lower()
    with zipfile.ZipFile(out) as package:
        assert json.loads(package.read("manifest.json"))["bots"][0]["botId"] == BOT_ID
