"""Every shipped language is complete and compiled: each `locale/<lang>/LC_MESSAGES/django.po`
translates every customer-facing string (none left empty or fuzzy), keeps each string's
placeholders and HTML, fills every plural form its language has, and the committed `.mo` holds
exactly what the `.po` says, so that a `.po` edited without `make messages` fails here rather
than showing English to customers. The hosted sign-in page then speaks each language."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation import to_locale

from tests.accounts.test_signup_flow import authorize_url
from tests.factories.flows import FlowWorld

SHIPPED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

# The sign-in page's heading as a native speaker reads it: written out here, not looked up in
# the catalogue under test.
SIGN_IN = {
    "fr": "Se connecter",
    "de": "Anmelden",
    "es": "Iniciar sesión",
    "ar": "تسجيل الدخول",
    "he": "כניסה",
    "ja": "サインイン",
    "zh-hans": "登录",
}

# Python's %-format placeholders, named or not (`%%` is a literal percent sign).
PYTHON_FORMAT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]")
HTML_TAG = re.compile(r"<[^>]+>")


def catalogue_dir(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / to_locale(language) / "LC_MESSAGES"


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PYTHON_FORMAT.finditer(text) if m.group(0) != "%%")


def plural_count(po: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    assert match, "the catalogue names no Plural-Forms"
    return int(match.group(1))


def translations(entries: list[polib.POEntry] | list[polib.MOEntry]) -> dict[tuple, object]:
    return {
        (entry.msgctxt, entry.msgid, entry.msgid_plural): (
            entry.msgstr or None,
            tuple(sorted(entry.msgstr_plural.items())),
        )
        for entry in entries
    }


@pytest.fixture(params=SHIPPED)
def po(request: pytest.FixtureRequest) -> polib.POFile:
    path = catalogue_dir(request.param) / "django.po"
    assert path.is_file(), f"{path} is missing: run `make messages`"
    return polib.pofile(str(path))


def test_the_languages_besides_english_are_shipped() -> None:
    assert set(SHIPPED) == set(SIGN_IN)


def test_every_string_is_translated(po: polib.POFile) -> None:
    assert len(po.translated_entries()) > 100
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []


def test_plural_forms_are_all_filled(po: polib.POFile) -> None:
    forms = plural_count(po)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == list(range(forms)), entry.msgid
            assert all(entry.msgstr_plural.values()), entry.msgid


def test_placeholders_and_html_are_kept(po: polib.POFile) -> None:
    for entry in po.translated_entries():
        if entry.msgid_plural:
            allowed = set(placeholders(entry.msgid) + placeholders(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                assert set(placeholders(form)) <= allowed, (entry.msgid, form)
            continue
        if "python-format" in entry.flags or placeholders(entry.msgid):
            assert placeholders(entry.msgstr) == placeholders(entry.msgid), entry.msgid
        assert sorted(HTML_TAG.findall(entry.msgstr)) == sorted(HTML_TAG.findall(entry.msgid)), (
            entry.msgid
        )


def test_the_committed_mo_matches_the_po(po: polib.POFile) -> None:
    mo_path = Path(po.fpath).with_suffix(".mo")
    assert mo_path.is_file(), f"{mo_path} is missing: run `make messages`"
    mo = polib.mofile(str(mo_path))
    stale = "is stale: run `make messages` and commit the .mo"
    assert translations(mo) == translations(po.translated_entries()), f"{mo_path} {stale}"
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms"), f"{mo_path} {stale}"


@pytest.mark.parametrize("language", SHIPPED)
def test_the_sign_in_page_speaks_each_language(flow_world: FlowWorld, language: str) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        authorize_url(flow_world) + f"&ui_locales={language}"
    )
    assert page.status_code == 200
    assert f'<html lang="{language}"' in page.text
    heading = re.search(r"<h1>(.*?)</h1>", page.text)
    assert heading, page.text[:500]
    assert heading.group(1) == SIGN_IN[language]
