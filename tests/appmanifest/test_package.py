"""The Teams app package: its manifest passes Microsoft's official schema (offline, in Python
and with Microsoft's own validator); the icons are the sizes and colours Teams requires."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT4

from appmanifest import icons
from appmanifest.build import COMMANDS, build_package, manifest

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
SCHEMAS = NODE_DIR / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
BOT_ID = "6a1c9a2e-0000-4000-8000-00000000abcd"
APP_ID = "0f7c4d11-2222-4333-8444-555566667777"
MISSING = "the official manifest schema is missing: run make test (npm ci --prefix tests/node)"


def schema_dir(version: str) -> Path:
    folder = SCHEMAS / f"v{version}"
    if not (folder / "MicrosoftTeams.schema.json").is_file():
        pytest.fail(MISSING)
    return folder


def offline_validator(folder: Path, schema: dict[str, Any] | None = None) -> jsonschema.Draft4Validator:
    """Draft-04 validation where any $ref to another file resolves to the file of that name beside
    the schema, and nothing is ever fetched from the network."""

    def retrieve(uri: str) -> Resource:
        path = folder / uri.rstrip("/").rsplit("/", 1)[-1]
        if not path.is_file():
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT4)

    schema = schema if schema is not None else json.loads((folder / "MicrosoftTeams.schema.json").read_text(encoding="utf-8"))
    # Structure only: a few of Microsoft's patterns use ECMAScript's \p{L}, which Python's re lacks.
    jsonschema.Draft4Validator.check_schema(schema, format_checker=None)
    return jsonschema.Draft4Validator(schema, registry=Registry(retrieve=retrieve),
                                      format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)  # fmt: skip


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)  # our writer: 8-bit RGBA
    pos, idat = 8, b""
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(data[pos + 4:pos + 8 + length])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    assert len(raw) == stride * height
    pixels = [tuple(raw[y * stride + 1 + x * 4:y * stride + 5 + x * 4]) for y in range(height) for x in range(width)]
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, pixels


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    path = build_package(tmp_path_factory.mktemp("pkg") / "app.zip", bot_id=BOT_ID, version="1.2.3")
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_package_holds_the_manifest_and_icons_at_its_root(package: dict[str, bytes]) -> None:
    assert sorted(package) == ["color.png", "manifest.json", "outline.png"]


def test_manifest_passes_the_official_schema(package: dict[str, bytes]) -> None:
    data = json.loads(package["manifest.json"])
    version = data["manifestVersion"]
    assert re.fullmatch(r"1\.2\d", version), version
    assert data["$schema"] == f"https://developer.microsoft.com/en-us/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    errors = list(offline_validator(schema_dir(version)).iter_errors(data))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors]


def test_manifest_uses_the_newest_v1_2x_schema_shipped() -> None:
    shipped = [p.name[1:] for p in SCHEMAS.glob("v1.2?")] if SCHEMAS.is_dir() else pytest.fail(MISSING)
    newest = max(shipped, key=lambda v: int(v.split(".")[1]))
    assert manifest(BOT_ID)["manifestVersion"] == newest


def test_manifest_passes_microsofts_own_validator(package: dict[str, bytes], tmp_path: Path) -> None:
    if not (NODE_DIR / "node_modules" / "@microsoft" / "app-manifest").is_dir() or not shutil.which("node"):
        pytest.fail(MISSING)
    path = tmp_path / "manifest.json"
    path.write_bytes(package["manifest.json"])
    result = subprocess.run(["node", str(NODE_DIR / "validate-manifest.js"), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout + result.stderr
    broken = json.loads(package["manifest.json"])
    broken["developer"]["websiteUrl"], broken["accentColor"] = "example.org", "teal"
    path.write_text(json.dumps(broken))
    result = subprocess.run(["node", str(NODE_DIR / "validate-manifest.js"), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and len(json.loads(result.stdout)) == 2  # it does catch problems


def test_validation_never_goes_to_the_network(tmp_path: Path) -> None:
    (tmp_path / "Other.schema.json").write_text(json.dumps({"type": "string"}))
    schema = {"properties": {"a": {"$ref": "https://developer.microsoft.com/json-schemas/teams/v9/Other.schema.json"},
                             "b": {"$ref": "https://example.invalid/nowhere.json"}}}  # fmt: skip
    validator = offline_validator(tmp_path, schema)
    assert not list(validator.iter_errors({"a": "x"})) and list(validator.iter_errors({"a": 1}))
    with pytest.raises(Unresolvable):
        list(validator.iter_errors({"b": 1}))


def test_manifest_fields(package: dict[str, bytes]) -> None:
    data = json.loads(package["manifest.json"])
    assert "{{" not in json.dumps(data)
    assert data["id"] == BOT_ID and data["version"] == "1.2.3"  # the app id defaults to the bot id
    assert data["name"]["short"] == "Strategy Discussions" and len(data["description"]["short"]) <= 80
    assert data["developer"]["name"] == "Example Borough Council"
    assert all(data["developer"][k].startswith("https://example.org/") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    assert data["icons"] == {"color": "color.png", "outline": "outline.png"}
    [bot] = data["bots"]
    assert bot["botId"] == BOT_ID and sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is True  # the record's PDF through the file consent flow
    for entry in bot["commandLists"]:
        assert [c["title"] for c in entry["commands"]] == ["convene", "status", "start", "close", "review", "icpc", "cases", "report", "help"]
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for e in bot["commandLists"] for c in e["commands"])
    assert {s for e in bot["commandLists"] for s in e["scopes"]} == {"personal", "team", "groupChat"}


def test_app_id_version_and_bad_input() -> None:
    data = manifest(BOT_ID, app_id=APP_ID, version="2.0.10")
    assert (data["id"], data["bots"][0]["botId"], data["version"]) == (APP_ID, BOT_ID, "2.0.10")
    for bad in ({"bot_id": "my-bot"}, {"bot_id": BOT_ID, "app_id": "nope"}, {"bot_id": BOT_ID, "version": "1.0"},
                {"bot_id": BOT_ID, "version": '1.0.0", "x": "'}):  # fmt: skip
        with pytest.raises(ValueError):
            manifest(**bad)


def test_the_same_input_builds_the_same_bytes(tmp_path: Path) -> None:
    first = build_package(tmp_path / "a.zip", bot_id=BOT_ID).read_bytes()
    second = build_package(tmp_path / "b.zip", bot_id=BOT_ID).read_bytes()
    assert first == second


def test_icons_are_the_sizes_and_colours_teams_requires(package: dict[str, bytes]) -> None:
    w, h, pixels = png_pixels(package["color.png"])
    assert (w, h) == (192, 192) and all(p[3] == 255 for p in pixels)  # full colour, no transparency
    w, h, pixels = png_pixels(package["outline.png"])
    assert (w, h) == (32, 32)
    assert all(p[3] == 0 or p[:3] == (255, 255, 255) for p in pixels)  # white on transparent only
    assert any(p[3] == 255 for p in pixels) and any(p[3] == 0 for p in pixels)


def test_committed_icons_are_what_icons_py_draws() -> None:
    for name, data in icons.draw().items():
        committed = (Path(icons.__file__).parent / name).read_bytes()
        assert png_pixels(data) == png_pixels(committed), f"run: python -m appmanifest.icons ({name} is stale)"


def test_commands_match_the_bots_command_words() -> None:
    from dialogs.router import COMMANDS as BOT_COMMANDS

    assert [title for title, _ in COMMANDS] == [usage.split()[0] for usage, _ in BOT_COMMANDS]


def test_sdbot_package_writes_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "pkg" / "sdbot.zip"
    env = {"PATH": "/usr/bin:/bin", "MicrosoftAppId": BOT_ID}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "package", "--out", str(out)], capture_output=True, text=True,
                            env=env, timeout=60, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "upload" in result.stdout.lower()
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("manifest.json"))["bots"][0]["botId"] == BOT_ID
