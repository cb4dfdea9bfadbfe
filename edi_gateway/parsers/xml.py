"""Safe XML parsing and a small reader that fills the model and records where each value came from."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from lxml import etree

from ..errors import MalformedContent
from ..model import Finding, Identifier, Severity

# No DTD, no entities, no network: an invoice never needs them, and XXE / entity expansion use them.
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)
_COMPILED: dict[tuple[str, str], etree.XPath] = {}


def _xpath(path: str, ns: dict[str, str]) -> etree.XPath:
    """A compiled XPath for `path`, memoised per process: about twice as fast as find() with prefixes."""
    key = (path, ns.get("cbc") or ns.get("ram", ""))
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = etree.XPath(path, namespaces=ns)
    return compiled


_DECIMAL_TEXT = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$")
MAX_DECIMALS = 6  # more than the platform ever accepts (amounts 2, quantities 4, prices 6)
MAX_INTEGER_DIGITS = 15  # as for CSV: beyond, no invoice amount is real, and arithmetic leaves Decimal's precision


# A decimal within every limit at a glance (the usual case); anything else goes through _decimal_problem.
_PLAIN_DECIMAL = re.compile(rf"-?(0|[1-9]\d{{0,{MAX_INTEGER_DIGITS - 1}}})(\.\d{{1,{MAX_DECIMALS}}})?")


def _decimal_problem(text: str) -> tuple[str, str] | None:
    """Why `text` is not an acceptable decimal number (English, French), or None when it is one."""
    if not _DECIMAL_TEXT.match(text):
        return "digits and one point only: no exponent, NaN or Infinity", \
            "des chiffres et un point seulement : ni exposant, ni NaN, ni Infinity"
    integer, _, decimals = text.strip().lstrip("+-").partition(".")
    if len(decimals) > MAX_DECIMALS:
        return f"more than {MAX_DECIMALS} decimals", f"plus de {MAX_DECIMALS} décimales"
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        return f"more than {MAX_INTEGER_DIGITS} digits before the point", \
            f"plus de {MAX_INTEGER_DIGITS} chiffres avant la virgule"
    return None


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse bytes into a tree, refusing DOCTYPE declarations (XXE, entity expansion). Raises MalformedContent
    with the reason: the DOCTYPE when there is one, even if the parser stopped first (a billion laughs trips
    libxml2's amplification guard), else the parser's own message."""
    try:
        root = etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        if _declares_doctype(data):
            raise _doctype_refused(f" ({exc})") from None
        raise MalformedContent(
            f"Not well-formed XML: {exc}", f"XML mal formé : {exc}", code="IRR_SYNTAX"
        ) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise _doctype_refused("")
    return tree


_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(encoding) for encoding in ("ascii", "utf-16-le", "utf-16-be"))


def _declares_doctype(data: bytes) -> bool:
    return any(mark in data for mark in _DOCTYPE_MARKS)


def _doctype_refused(detail: str) -> MalformedContent:
    return MalformedContent(
        f"XML with a DOCTYPE declaration is refused (entities are not allowed in invoices){detail}",
        f"XML avec une déclaration DOCTYPE refusé (les entités sont interdites dans une facture){detail}",
    )


# Elements an index does not descend into: the invoice lines, each read by a reader of its own.
NOT_INDEXED = frozenset({"cac:InvoiceLine", "cac:CreditNoteLine", "ram:IncludedSupplyChainTradeLineItem"})
_SIMPLE_PATHS: dict[str, bool] = {}
_REQUIRED_PATHS: dict[str, str | None] = {}
_NAMES: dict[tuple[tuple[str, str], ...], dict[str, str | None]] = {}


def _is_simple(path: str) -> bool:
    """Whether `path` is only element names (``cac:Item/cbc:Name``), outside the lines: what an index answers."""
    simple = _SIMPLE_PATHS.get(path)
    if simple is None:
        simple = _SIMPLE_PATHS[path] = all(_is_name(step) for step in path.split("/"))
    return simple


def _is_name(step: str) -> bool:
    """Whether an XPath step is a prefixed element name (``cbc:ID``) an index holds (not a line's)."""
    return step.count(":") == 1 and step.replace(":", "").replace("_", "").isalnum() and step not in NOT_INDEXED


def _required_path(path: str) -> str | None:
    """The simple path every match of `path` lies under (itself when simple), or None when there is none.

    ``cac:DocumentReference[cbc:DocumentTypeCode='130']/cbc:ID`` needs a ``cac:DocumentReference``,
    ``cbc:ID/@schemeID`` a ``cbc:ID``: when the index has no element at that path, `path` matches nothing, and
    no XPath needs to run (most optional groups of a line are absent from most invoices)."""
    required = _REQUIRED_PATHS.get(path, "")
    if required == "":
        head, steps = path.split("[", 1)[0], []
        if "|" not in head and " " not in head:  # one location path, not a union nor an expression
            for step in head.split("/"):
                if not _is_name(step):
                    break
                steps.append(step)
        required = _REQUIRED_PATHS[path] = "/".join(steps) or None
    return required


class _PrefixedNames(dict):
    """Clark tag (``{urn...}Name``) -> prefixed name (``cbc:Name``) for one set of prefixes, of the elements an
    index holds: None outside those prefixes and for NOT_INDEXED (the lines)."""

    def __init__(self, ns: dict[str, str]):
        super().__init__()
        self._prefixes = {uri: prefix for prefix, uri in ns.items()}

    def __missing__(self, tag) -> str | None:
        name = None
        if isinstance(tag, str) and tag.startswith("{"):  # an element (comments and PIs have no str tag)
            uri, _, local = tag[1:].partition("}")
            prefix = self._prefixes.get(uri)
            name = f"{prefix}:{local}" if prefix is not None else None
        if name in NOT_INDEXED:
            name = None
        self[tag] = name
        return name


def _names_for(ns: dict[str, str]) -> dict[str, str | None]:
    key = tuple(sorted(ns.items()))
    names = _NAMES.get(key)
    if names is None:
        names = _NAMES[key] = _PrefixedNames(ns)
    return names


def index_of(el, names: dict[str, str | None]) -> dict[str, object]:
    """Every element under `el` (not in NOT_INDEXED), by its path from `el` (``cac:Item/cbc:Name``): the first
    in document order, as a relative XPath's first match. One walk over the subtree answers the simple paths a
    reader asks for, at a fraction of the cost of one XPath each (~0.5 against ~1.5 µs per element or path)."""
    index: dict[str, object] = {}
    _walk(el, "", names, index)
    return index


def _walk(parent, base: str, names: dict[str, str | None], index: dict[str, object]) -> None:
    """`index_of`'s walk, a function of its own: a closure calling itself is a reference cycle, which would keep
    each index and its elements alive until the cyclic collector runs (~600 objects per invoice)."""
    for child in parent:
        name = names[child.tag]
        if name is None:
            continue
        path = base + name
        if path not in index:
            index[path] = child
        if len(child):
            _walk(child, path + "/", names, index)


class XmlReader:
    """Reads values under an element into model types, recording each value's location in `locations`.

    `base` is the XPath of the element the reader starts from (e.g. ``/Invoice/cac:InvoiceLine[2]``); relative
    paths given to the methods use the prefixes of `ns`. A value that is present but cannot be read (an amount
    ``12,5``, a date ``2024-02-31``) is left None and reported as an XML-VALUE finding on that field.

    Simple paths (element names only) are answered from an index of the element's subtree, built at the first
    of them (`index_of`); others (predicates, attributes, every match) by a compiled XPath, unless the index
    shows they select nothing.
    """

    __slots__ = ("ns", "locations", "findings", "base", "el", "prefix", "currencies", "bare_schemes", "_index")

    def __init__(self, el, ns: dict[str, str], locations: dict[str, str], findings: list[Finding],
                 base: str, prefix: str = "", currencies: dict[str, str] | None = None,
                 bare_schemes: list[tuple[str, str]] | None = None):
        self.el = el
        self.ns = ns
        self.locations = locations
        self.findings = findings
        self.base = base
        self.prefix = prefix  # field-path prefix, e.g. "lines[1]."
        self.currencies = currencies if currencies is not None else {}  # field path -> currencyID of amounts
        self.bare_schemes = bare_schemes if bare_schemes is not None else []  # schemes of valueless identifiers
        self._index: dict[str, object] | None = None

    def child(self, el, base: str, prefix: str) -> "XmlReader":
        return XmlReader(el, self.ns, self.locations, self.findings, base, prefix, self.currencies,
                         self.bare_schemes)

    def has(self, path: str) -> bool:
        """Whether at least one element matches `path` (empty or not)."""
        return self.node(path) is not None

    def all(self, path: str) -> list:
        """Every element (or value) `path` selects, in document order."""
        if self._cannot_match(path):
            return []
        return _xpath(path, self.ns)(self.el)

    def node(self, path: str):
        """The first element at `path`, or None."""
        index = self._index
        if index is None:
            index = self._index = index_of(self.el, _names_for(self.ns))
        found = index.get(path)
        if found is not None or _is_simple(path) or self._cannot_match(path):
            return found
        found = _xpath(path, self.ns)(self.el)
        return found[0] if found else None

    def _cannot_match(self, path: str) -> bool:
        """Whether the index shows that `path` selects nothing (see `_required_path`)."""
        required = _required_path(path)
        if required is None:
            return False
        index = self._index
        if index is None:
            index = self._index = index_of(self.el, _names_for(self.ns))
        return required not in index

    def located(self, path: str, field: str) -> tuple[object, str] | None:
        """The element at `path` and its text, stripped, the location recorded under `field`; None when absent or
        empty. (lxml makes a new string at each reading of ``.text``: it is read once.)"""
        found = self.node(path)
        if found is None:
            return None
        text = found.text
        if text is None:
            return None
        text = text.strip()
        if not text:
            return None
        self.locations[self.prefix + field] = f"{self.base}/{path} (line {found.sourceline})"
        return found, text

    def text(self, path: str, field: str) -> str | None:
        found = self.located(path, field)
        return found[1] if found is not None else None

    def texts(self, path: str) -> list[str]:
        return [e.text.strip() for e in self.all(path) if e.text and e.text.strip()]

    def identifier(self, path: str, field: str, scheme_attr: str = "schemeID") -> Identifier | None:
        found = self.node(path)
        if found is None:
            return None
        if found.text is None or not found.text.strip():
            self._bare_scheme(found, field, scheme_attr)
            return None
        self.locations[self.prefix + field] = f"{self.base}/{path} (line {found.sourceline})"
        return Identifier(found.text.strip(), found.get(scheme_attr))

    def _bare_scheme(self, el, field: str, scheme_attr: str) -> None:
        """Keep the scheme of an identifier element written without a value (see Invoice.bare_schemes)."""
        scheme = el.get(scheme_attr)
        if scheme is not None:
            self.bare_schemes.append((self.prefix + field, scheme))

    def identifiers(self, path: str, field: str, start: int = 0, scheme_attr: str = "schemeID") -> list[Identifier]:
        """Every identifier at `path`, recorded as ``field[start]``, ``field[start + 1]``..."""
        found = []
        for position, el in enumerate(self.all(path)):
            if el.text and el.text.strip():
                index = start + len(found)
                self.locations[f"{self.prefix}{field}[{index}]"] = (
                    f"{self.base}/{path}[{position + 1}] (line {el.sourceline})")
                found.append(Identifier(el.text.strip(), el.get(scheme_attr)))
            else:
                self._bare_scheme(el, field, scheme_attr)
        return found

    def amount(self, path: str, field: str) -> Decimal | None:
        found = self.located(path, field)
        if found is None:
            return None
        element, text = found
        currency = element.get("currencyID")
        if currency is not None:
            self.currencies[self.prefix + field] = currency
        return self.decimal_of(text, field)

    def attribute(self, path: str, name: str) -> str | None:
        """The (stripped) attribute `name` of the first element at `path`, None when absent or blank."""
        found = self.node(path)
        value = found.get(name) if found is not None else None
        return value.strip() or None if value is not None else None

    def decimal_of(self, text: str, field: str) -> Decimal | None:
        """A plain decimal number (no exponent, NaN or Infinity), at most MAX_DECIMALS decimals and
        MAX_INTEGER_DIGITS digits before the point; else None and an XML-VALUE finding saying which limit."""
        if _PLAIN_DECIMAL.fullmatch(text):
            return Decimal(text)
        reason = _decimal_problem(text)
        if reason is None:
            return Decimal(text.strip())
        self._unreadable(field, text, f"a decimal number ({reason[0]})", f"un nombre décimal ({reason[1]})",
                         f"Write numbers as 1234.56: digits and a point only, at most {MAX_INTEGER_DIGITS} digits "
                         f"before the point and {MAX_DECIMALS} after")
        return None

    def date(self, path: str, field: str, compact: bool = False) -> date | None:
        """An ISO date (UBL ``2024-01-31``) or, with `compact`, a CII format-102 date (``20240131``)."""
        found = self.located(path, field)
        if found is None:
            return None
        text = found[1]
        try:
            if compact:
                if len(text) != 8 or not text.isdigit():
                    raise ValueError
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            return date.fromisoformat(text)
        except ValueError:
            expected = "YYYYMMDD" if compact else "YYYY-MM-DD"
            self._unreadable(field, text, f"a date ({expected})", f"une date ({expected})", f"Write dates as {expected}")
            return None

    def _unreadable(self, field: str, text: str, what_en: str, what_fr: str, hint: str) -> None:
        path = self.prefix + field
        self.findings.append(Finding(
            rule="XML-VALUE", severity=Severity.FATAL,
            message_en=f"The value of {path} cannot be read as {what_en}",
            message_fr=f"La valeur de {path} n'est pas lisible comme {what_fr}",
            hint=hint, field=path, location=self.locations.get(path), value=text[:200],
        ))
