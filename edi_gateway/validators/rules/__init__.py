"""The native rules, one module per family. Importing this package registers them all, in this order."""

from . import core, calculation, identifiers, duplicates  # noqa: F401
