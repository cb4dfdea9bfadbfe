"""SIRET: the 14-digit number that identifies an establishment of a French company in INSEE's Sirene register.

Format: the 9-digit SIREN of the company + a 5-digit NIC (establishment number) whose last digit is a check digit;
usually written "732 829 320 00074". ICD 6523 scheme 0009, Chorus Pro type "SIRET".

The check digit is a Luhn digit over the 14 digits, with one exception: La Poste (SIREN 356000000) numbers its
establishments so that the sum of the 14 digits is a multiple of 5, and only its head office (35600000000048)
follows Luhn.

Checked (by `stdnum.fr.siret`, which handles the La Poste exception; nothing is re-implemented here): digits only,
length 14, the check digit (Luhn, or for La Poste the digit sum), and the Luhn digit of the embedded SIREN.
Not checked: that the establishment exists or is open (that needs the Sirene API).

Note: the project's fact sheet (§5.2, after pass-culture's `siren.py`) accepts a La Poste SIRET when *either* Luhn
or the digit sum passes; python-stdnum, used here, requires the digit sum for every La Poste establishment except
the head office, so e.g. 35600000000014 (Luhn-valid, digit sum 19) is rejected here.

Sources:

* https://fr.wikipedia.org/wiki/Système_d'identification_du_répertoire_des_établissements (La Poste exception)
* python-stdnum, `stdnum.fr.siret`.
* Chorus Pro facts §5.1–5.2 (ICD 0009 = SIRET, 14 digits; SIREN = first 9 digits, ANX7 G1.80).
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

NAME = "SIRET"
SCHEME = "0009"


def compact(number: str) -> str:
    """The number without spaces and dots: '732 829 320 00074' -> '73282932000074'."""
    return _siret.compact(number)


def validate(number: str) -> str:
    """The compacted SIRET, or a `ValidationError` (InvalidFormat, InvalidLength, InvalidChecksum) saying why not."""
    try:
        return _siret.validate(number)
    except InvalidLength as exc:
        raise InvalidLength(f"{len(compact(number))} digits, a SIRET has 14") from exc
    except InvalidFormat as exc:
        raise InvalidFormat("a SIRET has digits only") from exc
    except InvalidChecksum as exc:
        if not _siren.is_valid(compact(number)[:9]):
            raise InvalidChecksum("wrong check digit in the SIREN part (first 9 digits, Luhn)") from exc
        if compact(number).startswith("356000000"):
            raise InvalidChecksum("wrong check digit (La Poste: the digits must add up to a multiple of 5)") from exc
        raise InvalidChecksum("wrong check digit (Luhn)") from exc


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the number."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
