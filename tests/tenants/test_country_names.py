"""The country/region list uses the names people use, not ISO's or a country's own spelling."""

import re

from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_countries import countries

# Each seen in the list before: the ISO form, a native name, or a bracketed qualifier.
COMMON_NAMES = {
    "BS": "Bahamas",  # was "Bahamas (The)"
    "NR": "Nauru",  # was "Naoero"
    "CV": "Cape Verde",  # was "Cabo Verde"
    "FK": "Falkland Islands",  # was "Falkland Islands (Malvinas)"
    "VG": "British Virgin Islands",  # was "Virgin Islands (British)"
    "VI": "U.S. Virgin Islands",  # was "Virgin Islands (U.S.)"
    "US": "United States",  # was "United States of America"
    # names that were already the common ones stay
    "GB": "United Kingdom",
    "KR": "South Korea",
    "DE": "Germany",
}


def test_the_create_tenant_form_lists_common_names(admin_client: Client) -> None:
    page = admin_client.get(reverse("admin_center:tenant-create")).text
    options = dict(re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]*)</option>', page))
    assert {code: options[code] for code in COMMON_NAMES} == COMMON_NAMES


def test_no_name_keeps_an_iso_qualifier_in_brackets() -> None:
    """ISO's "(the)", "(Malvinas)", "(French part)" are not how anyone names these places;
    the Cocos (Keeling) Islands are named so in English."""
    with translation.override("en"):
        bracketed = [name for _code, name in countries if "(" in name]
    assert bracketed == ["Cocos (Keeling) Islands"]
