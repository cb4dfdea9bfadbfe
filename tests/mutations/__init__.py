"""Rule mutations: for every rule, a valid invoice and a minimal edit of it that breaks exactly that rule.

A `Mutation` names its rule, the base invoice it starts from, and the edits (XPath-addressed, on the XML). The
tables live beside this module, one per rule family (`core.py`, `vat_categories.py`, `codelists.py`...); each
exports `MUTATIONS`. Tests check that every base passes, that each mutation fails with exactly its rule, that
every registered rule has a mutation, and (for EN 16931 rules) that the official CEN artifact reports the same
rule ids on the mutated invoice.

Bases are real invoices: the French samples in `samples/`, and variants derived from them by edits (a reverse
charge invoice, an exempt one...) declared with `derive()`. A derived base must itself pass every rule.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from ..conftest import SAMPLES

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}

Edit = Callable[[etree._Element], None]


def _one(root, xpath: str):
    found = root.xpath(xpath, namespaces=NS)
    if len(found) != 1:
        raise AssertionError(f"mutation XPath {xpath!r} matches {len(found)} nodes, expected exactly 1")
    return found[0]


def remove(xpath: str) -> Edit:
    """Delete the element at `xpath` (which must match exactly one)."""
    def edit(root):
        element = _one(root, xpath)
        element.getparent().remove(element)
    edit.__doc__ = f"remove {xpath}"
    return edit


def remove_all(xpath: str) -> Edit:
    """Delete every element at `xpath` (at least one)."""
    def edit(root):
        found = root.xpath(xpath, namespaces=NS)
        if not found:
            raise AssertionError(f"mutation XPath {xpath!r} matches nothing")
        for element in found:
            element.getparent().remove(element)
    edit.__doc__ = f"remove all {xpath}"
    return edit


def set_text(xpath: str, text: str) -> Edit:
    """Replace the text of the element at `xpath`."""
    def edit(root):
        _one(root, xpath).text = text
    edit.__doc__ = f"{xpath} = {text!r}"
    return edit


def set_attr(xpath: str, name: str, value: str | None) -> Edit:
    """Set (or with None, delete) attribute `name` of the element at `xpath`."""
    def edit(root):
        element = _one(root, xpath)
        if value is None:
            element.attrib.pop(name, None)
        else:
            element.set(name, value)
    edit.__doc__ = f"{xpath}/@{name} = {value!r}"
    return edit


def insert(parent_xpath: str, fragment: str, after: str | None = None) -> Edit:
    """Insert an XML fragment (prefixes cac/cbc/ram/udt/qdt declared for you) into the element at `parent_xpath`.

    With `after` (an XPath relative to the parent), the fragment goes right after that child; else at the end.
    Mind the XSD element order: put it where the schema expects it.
    """
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())

    def edit(root):
        parent = _one(root, parent_xpath)
        wrapper = etree.fromstring(f"<wrapper {declarations}>{fragment}</wrapper>")
        new = list(wrapper)
        if after is None:
            parent.extend(new)
        else:
            anchor = _one(parent, after)
            for element in reversed(new):
                anchor.addnext(element)
    edit.__doc__ = f"insert into {parent_xpath}: {fragment[:60]}"
    return edit


BASE_FILES = {
    "fr-ubl": SAMPLES / "durand-facture-BD-2026-0142.xml",  # UBL invoice, two VAT rates (S 20 and 10)
    "fr-ubl-credit": SAMPLES / "lemoine-avoir-IL-2026-0077.xml",  # UBL credit note
    "fr-cii": SAMPLES / "nettoyage-facture-NSO-2026-0118-cii.xml",  # CII, Factur-X EN 16931 profile
}
DERIVED: dict[str, tuple[str, tuple[Edit, ...]]] = {}


def derive(name: str, base: str, *edits: Edit) -> str:
    """Declare a base invoice made from another by edits; returns its name."""
    if name in BASE_FILES or name in DERIVED:
        raise ValueError(f"base {name} declared twice")
    DERIVED[name] = (base, edits)
    return name


def apply(data: bytes, edits) -> bytes:
    root = etree.fromstring(data)
    for edit in edits:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def base_bytes(name: str) -> bytes:
    if name in BASE_FILES:
        return BASE_FILES[name].read_bytes()
    parent, edits = DERIVED[name]
    return apply(base_bytes(parent), edits)


@dataclass(frozen=True)
class Mutation:
    rule: str
    edits: tuple[Edit, ...]
    base: str = "fr-ubl"
    why: str = ""  # what the edit breaks, in a few words (shown in the test id)
    context: dict = field(default_factory=dict, hash=False, compare=False)  # CheckContext fields, if the rule needs
    # Rules the standard itself makes fire on the same defect (BR-33 and BR-CO-21 have the very same test; a
    # missing BT-112 also makes BR-CO-15 and BR-CO-16 fail): listed here, so the test still states them all.
    also: tuple[str, ...] = ()

    @property
    def expected(self) -> set[str]:
        return {self.rule, *self.also}

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.base}" + (f"-{self.why}" if self.why else "")

    def document(self) -> bytes:
        return apply(base_bytes(self.base), self.edits)


def mutation(rule: str, *edits: Edit, base: str = "fr-ubl", why: str = "", also: tuple[str, ...] = (),
             **context) -> Mutation:
    return Mutation(rule, tuple(edits), base, why, context, also)


def all_mutations() -> list[Mutation]:
    """Every table's MUTATIONS, in module order."""
    found = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        found.extend(importlib.import_module(f"{__name__}.{module}").MUTATIONS)
    return found


def all_bases() -> list[str]:
    all_mutations()  # importing the tables declares the derived bases
    return [*BASE_FILES, *DERIVED]
