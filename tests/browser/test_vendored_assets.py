"""The vendored front-end files (scripts/vendor_frontend.py): pinned, intact, licensed, and free of anything
that would make a page reach another host. Offline; needs no browser."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "src" / "portvakt" / "portal" / "static"
VENDOR = STATIC / "vendor"


def vendor_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_frontend", REPO / "scripts" / "vendor_frontend.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vendor_frontend", module)
    spec.loader.exec_module(module)
    return module


def test_vendored_files_match_their_manifest() -> None:
    assert vendor_script().check() == []


@pytest.mark.parametrize(
    "path",
    [
        "designsystemet/index.css",
        "designsystemet/theme.css",
        "designsystemet/LICENSE",
        "designsystemet/LICENSE-theme",
        "htmx/htmx.min.js",
        "htmx/LICENSE",
        "inter/inter-latin-wght-normal.woff2",
        "inter/LICENSE",
    ],
)
def test_the_files_the_base_template_needs_are_there(path: str) -> None:
    assert (VENDOR / path).is_file()


def test_manifest_names_version_licence_and_integrity_of_every_package() -> None:
    manifest = json.loads((VENDOR / "VERSIONS.json").read_text())
    names = {entry["name"]: entry for entry in manifest["packages"]}
    assert set(names) == {
        "@digdir/designsystemet-css",
        "@digdir/designsystemet-theme",
        "@fontsource-variable/inter",
        "htmx.org",
    }
    for entry in names.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"])
        assert entry["integrity"].startswith("sha512-")
        assert entry["license"]
        assert entry["tarball"].startswith("https://registry.npmjs.org/")


@pytest.mark.parametrize("css", ["designsystemet/index.css", "designsystemet/theme.css"])
def test_stylesheets_load_nothing_from_another_host(css: str) -> None:
    text = (VENDOR / css).read_text(encoding="utf-8")
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    external = [url for url in urls if not url.startswith(("data:", "../", "./")) and "://" in url]
    assert external == []
    assert "@import" not in text


def test_theme_font_is_the_vendored_inter() -> None:
    theme = (VENDOR / "designsystemet" / "theme.css").read_text(encoding="utf-8")
    assert "url('../inter/inter-latin-wght-normal.woff2')" in theme
    assert "font-family: Inter" in theme  # the theme's own typography token


def test_axe_is_vendored_for_the_tests_only() -> None:
    assert (REPO / "tests" / "browser" / "vendor" / "axe.min.js").is_file()
    assert not list(STATIC.rglob("axe*"))


@pytest.mark.parametrize(
    ("registry_integrity", "tarball", "message"),
    [
        pytest.param("sha512-AAAA", b"", "differs from the pinned", id="registry-disagrees-with-pin"),
        pytest.param(None, b"not the pinned tarball", "tarball is sha512-", id="tarball-tampered"),
    ],
)
def test_a_package_that_does_not_match_its_pin_is_refused(
    monkeypatch: pytest.MonkeyPatch, registry_integrity: str | None, tarball: bytes, message: str
) -> None:
    script = vendor_script()
    package = script.PACKAGES[0]
    metadata = {"dist": {"integrity": registry_integrity or package.integrity, "tarball": "https://x/t.tgz"}}

    def get(url: str) -> bytes:
        return tarball if url.endswith(".tgz") else json.dumps(metadata).encode()

    monkeypatch.setattr(script, "_get", get)
    with pytest.raises(SystemExit, match=message):
        script.fetch(package)
    assert script.sri_sha512(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )
