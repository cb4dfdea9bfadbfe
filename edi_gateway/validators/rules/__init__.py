"""The native rules, one module per family. Importing this package registers them all, in this order."""

from . import (  # noqa: F401
    core, calculation, vat_categories, decimals, codelists, identifiers, french_vat, mentions, duplicates,
)
