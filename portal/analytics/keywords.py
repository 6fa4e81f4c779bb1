"""The reviewed list of escalation language, by category.

Reviewed with the centre's mediators (issue 8): each word is one that, in a description or
in minutes, has come before a petition, a threat carried out, violence or self-harm. Words
in ``HARMLESS`` contain a listed word but mean something else ("跳楼价" is a bargain price,
"报复性消费" a spending spree); they are removed before matching. A change to this list is a
code change, so it is reviewed like one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from portal.i18n import N_


@dataclass(frozen=True)
class Category:
    key: str
    label: str  # msgid
    # A danger to someone's life or body: always a red alert, whatever the rule's level.
    life: bool
    words: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category("self_harm", N_("Self-harm"), True, (
        "自杀", "轻生", "跳楼", "跳河", "喝农药", "服毒", "割腕", "不想活", "寻短见",
        "一死了之", "以死相逼")),
    Category("violence", N_("Violence"), True, (
        "打人", "殴打", "斗殴", "持刀", "砍人", "砍伤", "捅人", "打伤", "围殴", "纵火",
        "放火", "炸药")),
    Category("threat", N_("Threats"), False, (
        "威胁", "恐吓", "报复", "同归于尽", "弄死", "要你命", "不会放过")),
    Category("petition", N_("Petitions and gatherings"), False, (
        "上访", "信访", "越级访", "集访", "堵门", "围堵", "拉横幅", "静坐", "找媒体曝光")),
)

HARMLESS: tuple[str, ...] = (
    "跳楼价", "跳楼甩卖", "跳楼大甩卖", "报复性消费", "报复性反弹", "报复性熬夜",
)

BY_KEY = {c.key: c for c in CATEGORIES}


@dataclass(frozen=True)
class Hit:
    category: Category
    word: str


def _clean(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    for phrase in HARMLESS:
        folded = folded.replace(phrase, " ")
    return folded


def find(text: str) -> list[Hit]:
    """Every listed word in ``text``, once each, in list order."""
    clean = _clean(text)
    return [Hit(category, word) for category in CATEGORIES for word in category.words
            if word in clean]
