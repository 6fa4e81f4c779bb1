"""The courts configuration: the embedded default, a TOML file, and its mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from court_export.keys import load_or_create_key, rotate_key
from portal.config import ConfigurationError, get_settings
from portal.filing import courts


def test_the_embedded_default_is_one_court_served_by_this_process() -> None:
    registry = courts.load()
    assert registry.embedded and [c.id for c in registry.courts] == ["zhuji"]
    court = registry.courts[0]
    assert court.endpoint == "http://127.0.0.1:8000/court/api/v1/filings"
    assert court.status_url("p-1") == (
        "http://127.0.0.1:8000/court/api/v1/filings/by-package/p-1")
    assert court.public_key_dir == get_settings().var_dir / "court" / "keys"
    assert registry.platform.id == courts.DEFAULT_PLATFORM_ID


def test_a_courts_file_names_courts_keys_and_the_platform(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "zhuji-keys"
    first = load_or_create_key(keys)
    inline = load_or_create_key(tmp_path / "other")
    path = tmp_path / "courts.toml"
    path.write_text(f'''
[platform]
id = "shaoxing-odr"
name = "绍兴矛调平台"

[[courts]]
id = "zhuji"
name = "诸暨市人民法院"
endpoint = "https://court.example/api/v1/filings/"
public_key_dir = "zhuji-keys"

[[courts]]
id = "keqiao"
name = "柯桥区人民法院"
endpoint = "http://10.0.0.5:8080/api/v1/filings"
[courts.keys]
"{inline.kid}" = """{inline.public_pem().decode()}"""
''', encoding="utf-8")
    monkeypatch.setattr(get_settings(), "courts_file", path)
    registry = courts.load()
    assert not registry.embedded
    assert (registry.platform.id, registry.platform.name) == ("shaoxing-odr", "绍兴矛调平台")
    assert registry.choices() == [("zhuji", "诸暨市人民法院"), ("keqiao", "柯桥区人民法院")]
    zhuji, keqiao = registry.courts
    assert zhuji.public_key_dir == keys  # relative to the file
    assert zhuji.status_url("x") == "https://court.example/api/v1/filings/by-package/x"
    assert set(keqiao.public_keys()) == {inline.kid}
    # Rotation: the directory is read on every use, and the old key stays trusted.
    assert set(zhuji.public_keys()) == {first.kid}
    second = rotate_key(keys)
    assert set(zhuji.public_keys()) == {first.kid, second.kid}


@pytest.mark.parametrize(("text", "problem"), [
    ("", "at least one [[courts]]"),
    ('[[courts]]\nid = "a"\nname = "A"\nendpoint = "ftp://x"\nkeys = {k = "p"}', "http(s)"),
    ('[[courts]]\nid = "a"\nname = "A"\nendpoint = "https://x/f"', "public_key_dir or keys"),
    ('[[courts]]\nid = "a"\nendpoint = "https://x/f"\nkeys = {k = "p"}', "'name'"),
    ('[[courts]]\nid = "a"\nname = "A"\nendpoint = "https://x/f"\nkeys = {k = "p"}\n'
     '[[courts]]\nid = "a"\nname = "B"\nendpoint = "https://y/f"\nkeys = {k = "p"}', "unique"),
    ("[[courts", "ODR_COURTS_FILE"),
])
def test_mistakes_in_the_courts_file_are_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str) -> None:
    path = tmp_path / "courts.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(get_settings(), "courts_file", path)
    with pytest.raises(ConfigurationError, match=re.escape(problem)):
        courts.load()


def test_a_missing_courts_file_is_reported(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "courts_file", tmp_path / "nope.toml")
    with pytest.raises(ConfigurationError, match=re.escape("nope.toml")):
        courts.load()
