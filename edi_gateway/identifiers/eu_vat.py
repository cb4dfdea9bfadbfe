"""EU VAT number: the intra-community VAT identification number of an EU member state (France included).

Format: a 2-letter prefix (the member state's ISO 3166-1 code, except Greece which uses "EL"; "XI" for Northern
Ireland traders under the Windsor Framework) followed by 2 to 12 characters whose format and check digits are set
by each state; at most 14 characters in practice, and Chorus Pro allows at most 18. ICD 6523 scheme 0223, Chorus Pro
type "UE_HORS_FRANCE" (which is meant for non-French EU suppliers: whether a French number is acceptable under that
type is for the caller to decide; this module accepts "FR" numbers since 0223 is a plain EU VAT number).

Checked (by `stdnum.eu.vat`, which dispatches to each country's module; nothing re-implemented here): the prefix is
a member state's, then that country's format, length and check digits (for France: the 2-digit key over the SIREN,
and the SIREN's Luhn digit). Rejected on top of python-stdnum: the "GR" prefix (Greece's VAT prefix is "EL", the
VIES service rejects "GR"), and the "EU"/"IM" prefixes that python-stdnum maps to the non-Union OSS scheme (those
numbers are not a member state's VAT number); anything longer than 18 characters.
Not checked: that the number is registered and active (that needs the VIES web service, `stdnum.eu.vat.check_vies`,
deliberately not called: the gateway runs offline).

Sources:

* European Commission, VIES: https://ec.europa.eu/taxation_customs/vies/
* python-stdnum, `stdnum.eu.vat` and the per-country `vat` modules.
* Chorus Pro facts §5.1 (ICD 0223, intra-EU VAT number, at most 18 characters) [GOCP], [GOBL].
"""

from __future__ import annotations

import re

from stdnum.eu import vat as _vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

NAME = "EU VAT number"
SCHEME = "0223"
MAX_LENGTH = 18

#: VAT prefixes of the member states, as written in VAT numbers ("EL" for Greece, "XI" for Northern Ireland).
PREFIXES: frozenset[str] = frozenset("EL" if cc == "gr" else cc.upper() for cc in _vat.MEMBER_STATES)

_SEPARATORS = re.compile(r"[\s.\-/,:]")


def compact(number: str) -> str:
    """The number in upper case without separators: 'de 136.695.976' -> 'DE136695976'.

    Uses the country module's own compaction (some drop a redundant prefix or pad digits); for an unknown prefix it
    only removes spaces, dots, hyphens, slashes, commas and colons.
    """
    try:
        return _vat.compact(number)
    except ValidationError:
        return _SEPARATORS.sub("", number).upper()


def country(number: str) -> str:
    """The VAT prefix of the number ("DE", "EL" for Greece, "XI" for Northern Ireland); InvalidComponent if the
    prefix is not a member state's."""
    prefix = compact(number)[:2]
    if prefix not in PREFIXES:
        raise InvalidComponent(_bad_prefix(prefix))
    return prefix


def validate(number: str) -> str:
    """The compacted VAT number, or a `ValidationError` saying why not (InvalidComponent for a prefix that is not a
    member state's, InvalidLength/InvalidFormat/InvalidChecksum/InvalidComponent from the country's own check)."""
    compacted = compact(number)
    if len(compacted) > MAX_LENGTH:
        raise InvalidLength(f"{len(compacted)} characters, at most {MAX_LENGTH}")
    cc = country(compacted)
    try:
        return _vat.validate(compacted)
    except InvalidLength as exc:
        raise InvalidLength(f"wrong length for a {cc} VAT number") from exc
    except InvalidFormat as exc:
        raise InvalidFormat(f"wrong format for a {cc} VAT number") from exc
    except InvalidChecksum as exc:
        raise InvalidChecksum(f"wrong check digits for a {cc} VAT number") from exc
    except InvalidComponent as exc:
        raise InvalidComponent(f"a part of this {cc} VAT number is not valid") from exc


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the number."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def _bad_prefix(prefix: str) -> str:
    if not prefix:
        return "no country prefix"
    if prefix == "GR":
        return "Greek VAT numbers start with EL, not GR"
    if prefix in ("EU", "IM"):
        return f"{prefix} is the non-Union OSS scheme, not a member state's VAT number"
    return f"{prefix} is not the VAT prefix of an EU member state"
