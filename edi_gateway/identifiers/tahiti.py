"""Numéro TAHITI: the identifier of an establishment in French Polynesia's business register (ICD 6523 scheme 0229).

The numéro T.A.H.I.T.I. (Traitement Automatique Hiérarchisé des Institutions de Tahiti et des Îles) is attributed
by the ISPF (Institut de la statistique de la Polynésie française) in its Répertoire territorial des entreprises;
Polynesian companies have no SIREN/SIRET. The company number has 6 characters (a digit or a letter, then 5 digits,
e.g. "003970" or "G33972"); an establishment adds a 3-digit rank, and the 9-character form is the one Chorus Pro
takes, often written "003970-001".

Checked: after removing spaces, dots and hyphens (and upper-casing), 9 characters: a digit or letter, then 8 digits.
Not checked: any check digit (no public source describes one, and python-stdnum has no Polynesian module), or that
the number is attributed (the ISPF directory, https://www.ispf.pf/rte, would tell).

Sources:

* Chorus Pro facts §5.1: TAHITI, ICD 0229, 9 characters [GOCP], [GOBL].
* ISPF, "Définitions et méthodologie" of the RTE: https://data.ispf.pf/bases/Repertoires/Entreprises/Dfinitionsetmthodologie.aspx
  (company number, then an establishment rank).
* Government of French Polynesia, `govpf/mes-demarches`, `app/models/identifiant_entreprise.rb`: a full TAHITI
  number matches `[0-9A-Z]\\d{8}` (e.g. G33972001), the company part being its first 6 characters; its user FAQ:
  "6 chiffres + 3 chiffres pour désigner l'établissement: par exemple 003970-001".
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

NAME = "TAHITI number"
SCHEME = "0229"
LENGTH = 9

_SEPARATORS = re.compile(r"[\s.\-]")
_FORMAT = re.compile(r"[0-9A-Z][0-9]{8}")


def compact(number: str) -> str:
    """The number in upper case without spaces, dots and hyphens: 'g33972-001' -> 'G33972001'."""
    return _SEPARATORS.sub("", number).upper()


def validate(number: str) -> str:
    """The compacted TAHITI number, or a `ValidationError` (InvalidFormat, InvalidLength) saying why not."""
    number = compact(number)
    if not (number.isascii() and number.isalnum()):
        raise InvalidFormat("a TAHITI number has letters and digits only")
    if len(number) != LENGTH:
        raise InvalidLength(f"{len(number)} characters, a TAHITI number has 9 (6 for the company, 3 for the "
                            "establishment)")
    if not _FORMAT.fullmatch(number):
        raise InvalidFormat("a TAHITI number is a digit or a letter followed by 8 digits")
    return number


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the number."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
