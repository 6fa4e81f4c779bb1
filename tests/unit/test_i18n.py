import re

import pytest
from babel.messages.pofile import read_po

from portal import i18n
from portal.i18n_catalog import extract

PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    return {m.id for m in extract() if m.id}


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_user_facing_string_is_translated(locale: str, source_ids: set[str]) -> None:
    path = i18n.TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = sorted(map(str, source_ids - set(translated)))
    assert not missing, f"run `make messages` and translate: {missing}"
    for msgid, text in translated.items():
        # Plural entries: every form keeps the singular's placeholders.
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        forms = text if isinstance(text, tuple) else (text,)
        wanted = sorted(PLACEHOLDER.findall(ids[0]))
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == wanted, msgid


def test_default_is_chinese_and_english_available() -> None:
    token = i18n.current_locale.set("zh_CN")
    try:
        assert i18n.gettext_("Log in") == "登录"
        moved = i18n.translate("Case {number} is now: {status}", number="FQ-1", status="x")
        assert moved.startswith("案件 FQ-1")
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext_("Log in") == "Log in"
    finally:
        i18n.current_locale.reset(token)
    assert i18n.negotiate("fr") == "zh_CN"
