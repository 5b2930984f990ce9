"""Every shipped language is complete and compiled: each `locale/<lang>/LC_MESSAGES/django.po`
translates every customer-facing string (none left empty or fuzzy), keeps each string's
placeholders and HTML, fills every plural form its language has, and the committed `.mo` holds
exactly what the `.po` says, so that a `.po` edited without `make messages` fails here rather
than showing English to customers. The hosted sign-in page then speaks each language."""

import ast
import os
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management.utils import is_ignored_path
from django.test import Client
from django.utils.translation import to_locale
from django.utils.translation.template import templatize

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


# What `make messages` reads: the Makefile's --ignore patterns (plus makemessages' own defaults)
# over these extensions, Python through xgettext's keywords as Django passes them, templates
# through Django's templatize, the very function makemessages uses.
ROOT = Path(settings.BASE_DIR)
EXTENSIONS = {".py", ".html", ".txt"}
DEFAULT_IGNORE = ["CVS", ".*", "*~", "*.pyc"]
# keyword -> (index of the context argument or None, index of the plural argument or None)
KEYWORDS: dict[str, tuple[int | None, int | None]] = {
    "_": (None, None),
    "gettext": (None, None),
    "gettext_lazy": (None, None),
    "gettext_noop": (None, None),
    "ngettext": (None, 1),
    "ngettext_lazy": (None, 1),
    "pgettext": (0, None),
    "pgettext_lazy": (0, None),
    "npgettext": (0, 2),
    "npgettext_lazy": (0, 2),
}
STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
TEMPLATE_CALL = re.compile(rf"\b(gettext|pgettext|ngettext|npgettext)\(((?:\s*{STRING}\s*,?)+)")
Key = tuple[str | None, str, str | None]


def message_ignore_patterns() -> list[str]:
    return re.findall(r"--ignore=(\S+)", (ROOT / "Makefile").read_text()) + DEFAULT_IGNORE


def extracted_files() -> list[Path]:
    ignore = message_ignore_patterns()
    found = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        relative = Path(dirpath).relative_to(ROOT)
        dirnames[:] = [
            name
            for name in dirnames
            if not is_ignored_path(str(relative / name), ignore) and name != "locale"
        ]
        for name in filenames:
            path = relative / name
            if path.suffix in EXTENSIONS and not is_ignored_path(str(path), ignore):
                found.append(path)
    return sorted(found)


def message_key(keyword: str, strings: list[str]) -> Key:
    context_at, plural_at = KEYWORDS[keyword]
    context = strings[context_at] if context_at is not None else None
    msgid = strings[0 if context_at is None else context_at + 1]
    return (context, msgid, strings[plural_at] if plural_at is not None else None)


def python_messages(source: str) -> set[Key]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in KEYWORDS:
            continue
        strings = []
        for argument in node.args:
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                break
            strings.append(argument.value)
        needed = sum(index is not None for index in KEYWORDS[name]) + 1
        if len(strings) >= needed:
            found.add(message_key(name, strings))
    return found


def template_messages(source: str, origin: str) -> set[Key]:
    found = set()
    for match in TEMPLATE_CALL.finditer(templatize(source, origin=origin)):
        strings = [ast.literal_eval(s) for s in re.findall(STRING, match.group(2))]
        found.add(message_key(match.group(1), strings))
    return found


def source_messages() -> set[Key]:
    found: set[Key] = set()
    for path in extracted_files():
        source = (ROOT / path).read_text(encoding="utf-8")
        if path.suffix == ".py":
            found |= python_messages(source)
        else:
            found |= template_messages(source, str(path))
    return found


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


def test_the_catalogue_holds_the_strings_the_sources_mark() -> None:
    """A string marked for translation in a customer-facing file and missing from the
    catalogues (or one left behind after its source changed) means `make messages` was not run:
    the customer would read English."""
    marked = source_messages()
    assert len(marked) > 100
    for language in SHIPPED:
        po = polib.pofile(str(catalogue_dir(language) / "django.po"))
        catalogued = {(e.msgctxt, e.msgid, e.msgid_plural or None) for e in po if not e.obsolete}
        assert sorted(marked - catalogued, key=str) == [], f"{language}: run `make messages`"
        assert sorted(catalogued - marked, key=str) == [], f"{language}: run `make messages`"


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
