from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from documents import fonts
from tests.services import unavailable

WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def test_the_debian_cjk_font_is_found_and_embeddable() -> None:
    if not Path(WQY).is_file():
        unavailable("fonts-wqy-zenhei is not installed")
    name = fonts.cjk_font()
    assert fonts.is_embedded(name)
    assert "wqy-zenhei" in name


def test_missing_fonts_fall_back_to_the_cid_font_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="documents.fonts"):
        name = fonts.cjk_font([tmp_path / "nothing.ttc"])
    assert name == fonts.FALLBACK_FONT
    assert not fonts.is_embedded(name)
    assert "no TrueType CJK font" in caplog.text


def test_a_file_that_is_not_a_font_is_skipped(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font at all")
    assert fonts.cjk_font([bogus]) == fonts.FALLBACK_FONT


def test_the_environment_variable_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.ENV_VAR, os.pathsep.join(["/a/b.ttc", "/c/d.ttf"]))
    paths = fonts.font_paths()
    assert paths[:2] == ("/a/b.ttc", "/c/d.ttf")
    assert paths[2:] == fonts.DEFAULT_FONT_PATHS
