"""Identifier of a private person supplier (Chorus Pro type "PARTICULIER", ICD 6523 scheme 0226).

Format taken here: 10 characters, the first ten of the person's NIR (French social security number) without its
serial and key:

* sex: 1 (male) or 2 (female);
* year of birth: 2 digits;
* month of birth: 01 to 12;
* place of birth, the 5-character INSEE code (COG) of the commune:
  - mainland France: a 2-character department (01 to 95, 2A/2B for Corsica, 20 for Corsica before 1976) and a
    3-digit commune number;
  - overseas: a 3-digit department or collectivity (971 to 978, 984 to 989) and a 2-digit commune number;
  - born abroad: 99 and a 3-digit INSEE country code (100 to 999).

Checked: each part as above; the commune number is not all zeros. Not checked: that the commune exists (that needs
the COG), that the date of birth is plausible, or anything about the person.

Not accepted, although the full NIR allows them: sex 3/4/7/8 (temporary or provisional numbers), months 20 and 30
to 42 or 50+ (unknown month, used in some NIRs), the historical department 96 (Tunisia before 1957).

Caution: the project's fact sheet (§5.1) gives the 0226 scheme as "≤80 characters" with no structure, and no public
source at hand confirms this 10-character layout for Chorus Pro; it is the layout this gateway was asked to enforce.
The "99" (born abroad) form is an addition to that brief, since NIR place codes include it.

Sources:

* INSEE, NIR: https://www.insee.fr/en/metadonnees/definition/c1409 ; python-stdnum `stdnum.fr.nir` (15-digit NIR,
  its layout and the 2A/2B Corsica codes; its check key does not apply to a 10-character prefix).
* INSEE, Code officiel géographique (department, overseas and country codes).
* Chorus Pro facts §5.1: PARTICULIER, ICD 0226.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError

NAME = "private person identifier"
SCHEME = "0226"
LENGTH = 10

_SEPARATORS = re.compile(r"[\s.\-]")
_OVERSEAS = frozenset({"971", "972", "973", "974", "975", "976", "977", "978", "984", "985", "986", "987", "988",
                       "989"})


def compact(number: str) -> str:
    """The identifier in upper case without spaces, dots and hyphens: '1 85 05 2a 004' -> '185052A004'."""
    return _SEPARATORS.sub("", number).upper()


def validate(number: str) -> str:
    """The compacted identifier, or a `ValidationError` saying why not: InvalidLength, InvalidFormat (a character
    that cannot appear there), InvalidComponent (sex, month or place of birth out of range)."""
    number = compact(number)
    if not (number.isascii() and number.isalnum()):
        raise InvalidFormat("letters and digits only")
    if len(number) != LENGTH:
        raise InvalidLength(f"{len(number)} characters, expected {LENGTH} (sex, year, month, place of birth)")
    sex, year, month, place = number[0], number[1:3], number[3:5], number[5:]
    if not (sex + year + month).isdigit():
        raise InvalidFormat("the first 5 characters (sex, year and month of birth) are digits")
    if sex not in ("1", "2"):
        raise InvalidComponent(f"sex {sex}: 1 or 2")
    if not 1 <= int(month) <= 12:
        raise InvalidComponent(f"month of birth {month}: 01 to 12")
    _check_place(place)
    return number


def is_valid(number: str) -> bool:
    """Whether `validate` accepts the identifier."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def _check_place(place: str) -> None:
    department = place[:2]
    if department in ("2A", "2B"):
        area, commune = department, place[2:]
    elif not department.isdigit():
        raise InvalidFormat(f"place of birth {place}: a department is 2 digits, 2A or 2B")
    elif department in ("97", "98"):
        area, commune = place[:3], place[3:]
        if area not in _OVERSEAS:
            raise InvalidComponent(f"place of birth {place}: {area} is not an overseas department or collectivity")
    elif department == "99" or 1 <= int(department) <= 95:
        area, commune = department, place[2:]
    else:
        raise InvalidComponent(f"place of birth {place}: no department {department}")
    if not commune.isdigit():
        raise InvalidFormat(f"place of birth {place}: the commune number is digits")
    if int(commune) == 0 or (area == "99" and int(commune) < 100):
        raise InvalidComponent(f"place of birth {place}: no commune or country {commune} in {area}")
