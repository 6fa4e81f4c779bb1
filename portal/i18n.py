"""Translations: Babel catalogs, Simplified Chinese by default, English second.

The .po files are read directly at start-up (no compiled .mo in git or a build step that
can go stale). The current locale lives in a context variable set per request.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Format

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    po = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def negotiate(value: str | None) -> str:
    return value if value in LOCALES else DEFAULT_LOCALE


def gettext_(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def translate(message: str, **params: object) -> str:
    """Translate a msgid and fill its {placeholders}."""
    text = gettext_(message)
    return text.format(**params) if params else text


def fmt() -> Format:
    return Format(current_locale.get())


# Marks a string for extraction without translating it at import time.
def N_(message: str) -> str:
    return message
