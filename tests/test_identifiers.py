"""Supplier identifiers (edi_gateway.identifiers): one table of valid numbers, one of invalid numbers with the
exact error each must raise, one of compact() results, then the scheme table and the module-specific helpers."""

from __future__ import annotations

import pytest
import stdnum.exceptions

from edi_gateway import identifiers
from edi_gateway.identifiers import (
    BY_SCHEME,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    check,
    eu_vat,
    kind,
    non_eu,
    private_person,
    ridet,
    siren,
    siret,
    tahiti,
)

VALID = [
    (siret, "73282932000074", "73282932000074"),
    (siret, "732 829 320 00074", "73282932000074"),
    (siret, "35600000000048", "35600000000048"),  # La Poste head office: Luhn
    (siret, "35600000049837", "35600000049837"),  # La Poste establishment: digit sum 50, not Luhn
    (siren, "732829320", "732829320"),
    (siren, "552 100 554", "552100554"),
    (siren, "356000000", "356000000"),
    (eu_vat, "DE136695976", "DE136695976"),
    (eu_vat, "BE0403019261", "BE0403019261"),
    (eu_vat, "IT00743110157", "IT00743110157"),
    (eu_vat, "FR40303265045", "FR40303265045"),
    (eu_vat, "fr 40 303 265 045", "FR40303265045"),
    (eu_vat, "EL094259216", "EL094259216"),
    (eu_vat, "ATU13585627", "ATU13585627"),
    (eu_vat, "NL004495445B01", "NL004495445B01"),
    (eu_vat, "ESA28017895", "ESA28017895"),
    (eu_vat, "XI925901618", "XI925901618"),
    (non_eu, "USAcmeWidgetsInter", "USAcmeWidgetsInter"),
    (non_eu, "us Acme Widgets", "USAcmeWidgets"),
    (non_eu, "WFSociétéduPort", "WFSociétéduPort"),  # Wallis-et-Futuna: French, outside the EU
    (non_eu, "CHNestlé S.A.", "CHNestléS.A."),
    (non_eu, "GBT", "GBT"),
    (non_eu, "XIHarland&Wolff", "XIHarland&Wolff"),
    (ridet, "1234567.001", "1234567001"),
    (ridet, "123456.001", "123456001"),
    (ridet, "0 123 456.002", "0123456002"),
    (tahiti, "G33972001", "G33972001"),
    (tahiti, "003970-001", "003970001"),
    (tahiti, "g33972 001", "G33972001"),
    (private_person, "185052A004", "185052A004"),
    (private_person, "1 85 05 2b 004", "185052B004"),
    (private_person, "2990575056", "2990575056"),
    (private_person, "1850597101", "1850597101"),  # overseas: 971 + commune 01
    (private_person, "1851298811", "1851298811"),  # New Caledonia: 988 + 11
    (private_person, "1850599135", "1850599135"),  # born abroad: 99 + country 135
    (private_person, "1850120123", "1850120123"),  # Corsica before 1976
]

INVALID = [
    (siret, "7328293200007", InvalidLength),
    (siret, "732829320000745", InvalidLength),
    (siret, "", InvalidFormat),
    (siret, "73282932A00074", InvalidFormat),
    (siret, "73282932000079", InvalidChecksum),
    (siret, "10000000000016", InvalidChecksum),  # Luhn-valid SIRET whose SIREN 100000000 is not
    (siret, "35600000012345", InvalidChecksum),  # La Poste: digit sum 29
    (siret, "35600000000014", InvalidChecksum),  # La Poste: Luhn-valid but digit sum 19 (python-stdnum's rule)
    (siren, "73282932", InvalidLength),
    (siren, "7328293200", InvalidLength),
    (siren, "73282932X", InvalidFormat),
    (siren, "732829321", InvalidChecksum),
    (eu_vat, "DE136695977", InvalidChecksum),
    (eu_vat, "FR41303265045", InvalidChecksum),
    (eu_vat, "BE1403019261", InvalidChecksum),
    (eu_vat, "DE13669597", InvalidLength),
    (eu_vat, "DE13669597612", InvalidLength),  # 13 characters: too long for Germany
    (eu_vat, "DE1366959761234567890", InvalidLength),  # over 18 characters
    (eu_vat, "DEABCDEFGHI", InvalidFormat),
    (eu_vat, "BE2403019261", InvalidComponent),  # Belgian numbers start with 0 or 1
    (eu_vat, "GR094259216", InvalidComponent),  # Greece is EL
    (eu_vat, "EU372000041", InvalidComponent),  # non-Union OSS
    (eu_vat, "US123456789", InvalidComponent),
    (eu_vat, "", InvalidComponent),
    (non_eu, "US", InvalidLength),
    (non_eu, "USAcmeWidgetsInterX", InvalidLength),
    (non_eu, "12Acme", InvalidFormat),
    (non_eu, "1AAcme", InvalidFormat),  # the CEN list's Kosovo code is not an ISO alpha-2 code
    (non_eu, "USAc\x00me", InvalidFormat),
    (non_eu, "DEAcme", InvalidComponent),
    (non_eu, "FRAcme", InvalidComponent),
    (non_eu, "GRAcme", InvalidComponent),
    (non_eu, "REAcme", InvalidComponent),  # Réunion: outermost region, in the EU
    (non_eu, "AXAcme", InvalidComponent),  # Åland: in the EU
    (non_eu, "ELAcme", InvalidComponent),  # a VAT prefix, not a country code
    (non_eu, "ZZAcme", InvalidComponent),
    (ridet, "12345.001", InvalidLength),
    (ridet, "12345678.001", InvalidLength),
    (ridet, "1234567.0A1", InvalidFormat),
    (ridet, "1234567/001", InvalidFormat),
    (tahiti, "G33972", InvalidLength),
    (tahiti, "G339720011", InvalidLength),
    (tahiti, "G3397A001", InvalidFormat),
    (tahiti, "GG3972001", InvalidFormat),
    (tahiti, "G33972/001", InvalidFormat),
    (private_person, "185052A00", InvalidLength),
    (private_person, "185052A0044", InvalidLength),
    (private_person, "185052A0_4", InvalidFormat),
    (private_person, "1A5052A004", InvalidFormat),
    (private_person, "185052C004", InvalidFormat),
    (private_person, "18505750A6", InvalidFormat),
    (private_person, "3850575056", InvalidComponent),  # sex
    (private_person, "0850575056", InvalidComponent),
    (private_person, "1850075056", InvalidComponent),  # month 00
    (private_person, "1851375056", InvalidComponent),  # month 13
    (private_person, "1850500056", InvalidComponent),  # department 00
    (private_person, "1850596001", InvalidComponent),  # department 96
    (private_person, "1850597901", InvalidComponent),  # 979 is not overseas
    (private_person, "1850598301", InvalidComponent),  # 983 neither
    (private_person, "1850575000", InvalidComponent),  # commune 000
    (private_person, "1850597100", InvalidComponent),  # overseas commune 00
    (private_person, "1850599099", InvalidComponent),  # country codes start at 100
]

COMPACT = [
    (siret, " 732.829.320 00074 ", "73282932000074"),
    (siren, "732.829.320", "732829320"),
    (eu_vat, "de 136.695.976", "DE136695976"),
    (eu_vat, "BE 0403.019.261", "BE0403019261"),
    (eu_vat, "zz 12-34", "ZZ1234"),  # unknown prefix: only separators go
    (non_eu, " us  Acme\tWidgets Inc. ", "USAcmeWidgetsInc."),
    (ridet, "1 234 567.001", "1234567001"),
    (ridet, "1234567-001", "1234567001"),
    (tahiti, "g33972 - 001", "G33972001"),
    (tahiti, "003.970.001", "003970001"),
    (private_person, "1.85.05.2a-004", "185052A004"),
]


def _name(param) -> str:
    return param.__name__.rsplit(".", 1)[-1] if hasattr(param, "__name__") else repr(param)


@pytest.mark.parametrize("module, number, expected", VALID, ids=_name)
def test_valid_numbers_validate_to_their_compact_form(module, number, expected):
    assert module.validate(number) == expected
    assert module.is_valid(number) is True


@pytest.mark.parametrize("module, number, error", INVALID, ids=_name)
def test_invalid_numbers_raise_the_exact_error_with_a_message(module, number, error):
    with pytest.raises(stdnum.exceptions.ValidationError) as raised:
        module.validate(number)
    assert type(raised.value) is error
    assert str(raised.value) and str(raised.value) != error.message, "the message says what is wrong"
    assert module.is_valid(number) is False


@pytest.mark.parametrize("module, number, expected", COMPACT, ids=_name)
def test_compact_removes_separators(module, number, expected):
    assert module.compact(number) == expected


def test_exceptions_are_python_stdnum_ones():
    assert identifiers.ValidationError is stdnum.exceptions.ValidationError
    assert (InvalidFormat, InvalidLength, InvalidChecksum, InvalidComponent) == (
        stdnum.exceptions.InvalidFormat, stdnum.exceptions.InvalidLength, stdnum.exceptions.InvalidChecksum,
        stdnum.exceptions.InvalidComponent)


def test_scheme_table_and_kinds():
    assert BY_SCHEME == {"0009": siret, "0002": siren, "0223": eu_vat, "0227": non_eu, "0228": ridet,
                         "0229": tahiti, "0226": private_person}
    assert {scheme: kind(scheme) for scheme in BY_SCHEME} == {
        "0009": "SIRET", "0002": "SIREN", "0223": "EU VAT number", "0227": "non-EU identifier", "0228": "RIDET",
        "0229": "TAHITI number", "0226": "private person identifier"}


@pytest.mark.parametrize("module", sorted(BY_SCHEME.values(), key=lambda m: m.SCHEME), ids=_name)
def test_every_module_has_the_stdnum_interface_and_documents_its_checks(module):
    assert callable(module.compact) and callable(module.validate) and callable(module.is_valid)
    assert "Checked" in module.__doc__ and "Not checked" in module.__doc__ and "Sources" in module.__doc__


@pytest.mark.parametrize("scheme, value, reason", [
    ("0009", "73282932000074", None),
    ("0009", "73282932000079", "wrong check digit (Luhn)"),
    ("0009", "7328293200007", "13 digits, a SIRET has 14"),
    ("0009", "10000000000016", "wrong check digit in the SIREN part (first 9 digits, Luhn)"),
    ("0009", "35600000012345", "wrong check digit (La Poste: the digits must add up to a multiple of 5)"),
    (" 0002 ", "732829320", None),
    ("0223", "GR094259216", "Greek VAT numbers start with EL, not GR"),
    ("0223", "DE136695977", "wrong check digits for a DE VAT number"),
    ("0223", "DE1366959761234567890", "21 characters, at most 18"),
    ("0227", "FRAcme", "FR is in the EU: use a SIRET or an EU VAT number"),
    ("0228", "1234567.001", None),
    ("0229", "G33972", "6 characters, a TAHITI number has 9 (6 for the company, 3 for the establishment)"),
    ("0226", "1851375056", "month of birth 13: 01 to 12"),
    ("0009", "", "empty"),
    ("0226", "   ", "empty"),
])
def test_check_returns_none_or_a_reason(scheme, value, reason):
    assert check(scheme, value) == reason


def test_unknown_scheme_is_an_error_not_a_pass():
    with pytest.raises(KeyError):
        check("0088", "5790000435975")
    with pytest.raises(KeyError):
        kind("0088")


@pytest.mark.parametrize("number, expected", [("de136695976", "DE"), ("EL094259216", "EL"), ("XI925901618", "XI")])
def test_eu_vat_country(number, expected):
    assert eu_vat.country(number) == expected


@pytest.mark.parametrize("number", ["GR094259216", "US123", ""])
def test_eu_vat_country_rejects_non_member_prefixes(number):
    with pytest.raises(InvalidComponent):
        eu_vat.country(number)


@pytest.mark.parametrize("country, company_name, expected", [
    ("US", "Acme Widgets International Inc", "USAcmeWidgetsInter"),  # spaces out, then 16 characters
    (" ch ", "Nestlé S.A.", "CHNestléS.A."),
    ("WF", "  Société  du Port  ", "WFSociétéduPort"),
    ("JP", "X", "JPX"),
])
def test_non_eu_from_name(country, company_name, expected):
    assert non_eu.from_name(country, company_name) == expected


@pytest.mark.parametrize("country, company_name, error", [
    ("DE", "Acme", InvalidComponent), ("ZZ", "Acme", InvalidComponent), ("U", "Acme", InvalidFormat),
    ("USA", "Acme", InvalidFormat), ("US", "   ", InvalidFormat),
])
def test_non_eu_from_name_refuses_eu_or_unknown_countries_and_empty_names(country, company_name, error):
    with pytest.raises(error):
        non_eu.from_name(country, company_name)


@pytest.mark.parametrize("number, company_name, expected", [
    ("USAcmeWidgetsInter", "Acme Widgets International Inc", True),
    ("USACMEWIDGETSINTER", "acme widgets international inc", True),  # case ignored
    ("CHNestleS.A.", "Nestlé S.A.", True),  # accents ignored
    ("USAcmeWidgetsInt", "Acme Widgets International Inc", True),  # cut at 16 before removing the spaces
    ("USAcmeWidgets", "Acme Widgets International Inc", False),  # too short for either reading
    ("USAcmeGadgetsInter", "Acme Widgets International Inc", False),
    ("US", "Acme", False),
    ("US", "   ", False),  # no name on either side is not a match
])
def test_non_eu_matches_name(number, company_name, expected):
    assert non_eu.matches_name(number, company_name) is expected


def test_non_eu_country_list_comes_from_the_cen_code_list():
    codes = non_eu.iso_country_codes()
    assert 245 <= len(codes) <= 255
    assert {"US", "WF", "NC", "PF", "XI", "FR", "RE"} <= codes
    assert not {"1A", "EL", "ZZ", "UK"} & codes
    allowed = non_eu.non_eu_countries()
    assert {"US", "WF", "CH", "GB", "XI", "NC"} <= allowed
    assert not {"FR", "DE", "GR", "RE", "GP", "AX"} & allowed
    assert len(codes) - len(allowed) == 27 + 7
