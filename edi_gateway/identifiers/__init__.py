"""Supplier identifiers that Chorus Pro accepts, one module per scheme, each shaped like a python-stdnum module.

Every module has `compact(number) -> str`, `validate(number) -> str` (the compacted number, or a `ValidationError`),
`is_valid(number) -> bool`, and the constants `NAME` (human name) and `SCHEME` (ICD 6523 code); its docstring says
what the identifier is, its format, what is and is not checked, and the sources. Check digits come from
python-stdnum wherever it has them (SIRET, SIREN, EU VAT numbers); the other schemes have no public check digit.

| ICD  | Chorus Pro type     | module           |
|------|---------------------|------------------|
| 0009 | SIRET               | `siret`          |
| 0002 | (SIREN)             | `siren`          |
| 0223 | UE_HORS_FRANCE      | `eu_vat`         |
| 0227 | HORS_UE             | `non_eu`         |
| 0228 | RIDET               | `ridet`          |
| 0229 | TAHITI              | `tahiti`         |
| 0226 | PARTICULIER         | `private_person` |

Errors are python-stdnum's exception tree, re-exported here: `ValidationError` (a `ValueError`) and its subclasses
`InvalidFormat`, `InvalidLength` (a subclass of `InvalidFormat`), `InvalidChecksum` and `InvalidComponent`. The
modules raise them with a short English message saying what is wrong.
"""

from __future__ import annotations

from functools import lru_cache

from types import ModuleType

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from . import eu_vat, non_eu, private_person, ridet, siren, siret, tahiti

__all__ = [
    "BY_SCHEME", "InvalidChecksum", "InvalidComponent", "InvalidFormat", "InvalidLength", "ValidationError",
    "check", "eu_vat", "kind", "non_eu", "private_person", "ridet", "siren", "siret", "tahiti",
]

#: ICD 6523 scheme code -> the module that checks identifiers of that scheme.
BY_SCHEME: dict[str, ModuleType] = {
    module.SCHEME: module for module in (siret, siren, eu_vat, non_eu, ridet, tahiti, private_person)
}


def kind(scheme: str) -> str:
    """The human name of a scheme's identifier ("SIRET", "EU VAT number", ...); KeyError for an unknown scheme."""
    return BY_SCHEME[scheme.strip()].NAME


@lru_cache(maxsize=8192)  # a lot names the same few suppliers and recipients again and again
def validation_error(scheme: str, value: str) -> ValidationError | None:
    """The error `validate` raises for `value` as an identifier of `scheme`, or None when it is valid."""
    try:
        BY_SCHEME[scheme.strip()].validate(value)
    except ValidationError as exc:
        return exc
    return None


def check(scheme: str, value: str) -> str | None:
    """None when `value` is a valid identifier of `scheme`, otherwise a short English reason.

    Raises KeyError for a scheme that has no module here (test `scheme in BY_SCHEME` first): an unknown scheme is
    not "valid". A non-EU identifier is checked on its own; whether it matches the company name is
    `non_eu.matches_name`.
    """
    module = BY_SCHEME[scheme.strip()]
    if not value or not value.strip():
        return "empty"
    try:
        module.validate(value)
    except ValidationError as exc:
        return str(exc)
    return None
