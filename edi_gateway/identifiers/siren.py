"""SIREN: the 9-digit number that identifies a French company (legal unit) in INSEE's Sirene register.

Format: 9 digits, the last one a Luhn check digit; usually written in groups of three ("732 829 320").
ICD 6523 scheme 0002.

Checked (by `stdnum.fr.siren`, not re-implemented here): digits only, length 9, Luhn check digit.
Not checked: that the number is attributed, or that the company is active (that needs the Sirene API).

Sources:

* INSEE, "Système d'identification du répertoire des entreprises":
  https://fr.wikipedia.org/wiki/Système_d'identification_du_répertoire_des_entreprises
* python-stdnum, `stdnum.fr.siren`.
* Chorus Pro facts §5.1–5.2 (ICD 0002 = SIREN, 9 digits, Luhn) [ANX7 G1.89].
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siren as _siren

NAME = "SIREN"
SCHEME = "0002"


def compact(number: str) -> str:
    """The number without spaces and dots: '732 829 320' -> '732829320'."""
    return _siren.compact(number)


def validate(number: str) -> str:
    """The compacted SIREN, or a `ValidationError` (InvalidFormat, InvalidLength, InvalidChecksum) saying why not."""
    try:
        return _siren.validate(number)
    except InvalidLength as exc:
        raise InvalidLength(f"{len(compact(number))} digits, a SIREN has 9") from exc
    except InvalidFormat as exc:
        raise InvalidFormat("a SIREN has digits only") from exc
    except InvalidChecksum as exc:
        raise InvalidChecksum("wrong check digit (Luhn)") from exc


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the number."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
