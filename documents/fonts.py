"""Find and register a CJK font for reportlab.

reportlab embeds only TrueType outlines, so Noto CJK (CFF outlines) does not work; Debian's
fonts-wqy-zenhei does. The unembedded CID font STSong-Light is a last resort: viewers without
an Adobe Asian font pack may substitute glyphs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FONT_NAME = "OdrCJK"  # prefix; the file stem follows
FALLBACK_FONT = "STSong-Light"
ENV_VAR = "ODR_CJK_FONT_PATHS"

# TrueType-outline CJK fonts in the usual places (Debian/Ubuntu, Fedora, macOS, Windows).
DEFAULT_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def font_paths() -> tuple[str, ...]:
    """The search list: paths from $ODR_CJK_FONT_PATHS (os.pathsep-separated) come first."""
    extra = tuple(p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p)
    return extra + DEFAULT_FONT_PATHS


def cjk_font(paths: Sequence[str | Path] | None = None) -> str:
    """Register the first usable TrueType CJK font and return its reportlab name.

    Falls back to the CID font STSong-Light (not embedded) with a logged warning.
    """
    return _register(tuple(str(p) for p in (paths if paths is not None else font_paths())))


def is_embedded(font_name: str) -> bool:
    return font_name != FALLBACK_FONT


@lru_cache(maxsize=8)
def _register(paths: tuple[str, ...]) -> str:
    for path in paths:
        if not Path(path).is_file():
            continue
        name = f"{FONT_NAME}-{Path(path).stem}"
        try:
            # A .ttc holds several faces; the first is the proportional one.
            font = TTFont(name, path, subfontIndex=0)
        except (TTFError, OSError) as exc:
            log.info("font %s is not usable by reportlab: %s", path, exc)
            continue
        pdfmetrics.registerFont(font)
        return name
    log.warning("no TrueType CJK font found in %s; using the unembedded CID font %s",
                ", ".join(paths), FALLBACK_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT
