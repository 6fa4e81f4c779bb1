"""Maintains the translation catalogs: ``python -m portal.i18n_catalog`` (``make messages``).

Besides gettext calls in code and templates, the msgids kept in label tables (statuses,
triggers, roles, dispute types, error pages) are collected from the tables themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from portal.config import PROJECT_ROOT
from portal.i18n import LOCALES, TRANSLATIONS_DIR

KEYWORDS = {
    "_": None, "N_": None, "gettext": None, "gettext_": None, "ngettext": (1, 2),
    "ngettext_": (1, 2), "translate": None,
    # Exceptions whose message argument is a msgid shown to the user.
    "InvalidField": (2,), "MissingInput": (2,), "LoginFailed": None, "TooManyRequests": None,
    "error": (2,),  # Form.error(field, msgid); the API's error(status, msgid)
    "Reason": None, "PhotoRefused": (1,),
}
METHODS = [
    ("portal/web/templates/**.html", "jinja2"),
    ("portal/**.py", "python"),
]


def _table_msgids() -> Iterator[str]:
    from portal.accounts.roles import ROLE_LABELS
    from portal.cases.disputes import DISPUTE_TYPES
    from portal.cases.models import PARTICIPANT_LABELS
    from portal.cases.states import LABELS, TRIGGER_LABELS
    from portal.dispatch import labels as dispatch_labels
    from portal.notifications.services import CASE_MOVED
    from portal.web.app import ERROR_TEXT
    from portal.web.templating import NAV_LABELS

    yield from LABELS.values()
    yield from TRIGGER_LABELS.values()
    yield from ROLE_LABELS.values()
    yield from DISPUTE_TYPES.values()
    yield from PARTICIPANT_LABELS.values()
    yield from NAV_LABELS
    for table in (dispatch_labels.SOURCE_LABELS, dispatch_labels.DEPARTMENT_LABELS,
                  dispatch_labels.STEP_LABELS, dispatch_labels.PRIORITY_LABELS,
                  dispatch_labels.OUTCOME_LABELS, dispatch_labels.PERFORMANCE_LABELS):
        yield from table.values()
    yield CASE_MOVED
    for title, message in ERROR_TEXT.values():
        yield title
        yield message


def extract() -> Catalog:
    catalog = Catalog(project="fengqiao-odr", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT_ROOT), METHODS, keywords=KEYWORDS,
        options_map={"portal/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for msgid in _table_msgids():
        if msgid not in catalog:
            catalog.add(msgid, None, [("label tables", 0)])
    return catalog


def update() -> None:
    template = extract()
    for locale in LOCALES:
        path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="fengqiao-odr", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            # English is the source language: every msgid translates to itself.
            for message in catalog:
                forms = message.string if isinstance(message.string, tuple) else (
                    message.string,)
                if message.id and not any(forms):
                    message.string = message.id
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True,
                     ignore_obsolete=True)
        missing = sum(1 for m in catalog if m.id and not m.string)
        print(f"{locale}: {len(catalog)} messages, {missing} untranslated")


if __name__ == "__main__":
    update()
