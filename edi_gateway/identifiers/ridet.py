"""RIDET: the identifier of an establishment in New Caledonia's business register (ICD 6523 scheme 0228).

The RIDET (Répertoire d'Identification des Entreprises et des Établissements) is kept by the ISEE (Institut de la
statistique et des études économiques de Nouvelle-Calédonie); New Caledonian companies have no SIREN/SIRET. A RIDET is
the company's RID number (7 digits; older numbers have 6) followed by the 3-digit rank of the establishment, usually
written with a dot: "1234567.001" (or "123456.001"). Hence 10 (or 9) digits, as Chorus Pro's "9 or 10 characters".

Checked: after removing spaces, dots and hyphens, 9 or 10 characters, digits only.
Not checked: any check digit (no public source describes one, and python-stdnum has no New Caledonian module), that
the number is attributed, or the split between RID and rank when written without a dot (a 9-digit RIDET could also
be a 7-digit RID with a 2-digit rank typed wrongly: nothing tells them apart).

Sources:

* Chorus Pro facts §5.1: RIDET (New Caledonia), ICD 0228, 9 or 10 characters [GOCP], [GOBL].
* ISEE, RIDET directory: https://www.isee.nc/ (entreprises, "répertoire RIDET").
* pass-culture/pass-culture-main, its SIREN utilities: RID 7 digits, RIDET 10 digits; another public codebase with
  a RIDET lookup accepts RID numbers of 6 or 7 digits.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

NAME = "RIDET"
SCHEME = "0228"
LENGTHS = (9, 10)

_SEPARATORS = re.compile(r"[\s.\-]")


def compact(number: str) -> str:
    """The number without spaces, dots and hyphens: '1234567.001' -> '1234567001'."""
    return _SEPARATORS.sub("", number)


def validate(number: str) -> str:
    """The compacted RIDET, or a `ValidationError` (InvalidFormat, InvalidLength) saying why not."""
    number = compact(number)
    if not (number.isascii() and number.isdigit()):
        raise InvalidFormat("a RIDET has digits only (RID number, dot, 3-digit establishment rank)")
    if len(number) not in LENGTHS:
        raise InvalidLength(f"{len(number)} digits, a RIDET has 9 or 10 (a 6- or 7-digit RID and a 3-digit rank)")
    return number


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the number."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
