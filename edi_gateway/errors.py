"""The gateway's exception tree.

`GatewayError` is the root. Input problems (`InputError`) are expected and end as findings or quarantined flows;
anything else means the gateway itself failed. Flow-level codes follow the platform's irrecevability codes
(`IRR_*`, see docs/domain): a depositor's software can act on them.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """The configuration file or a command-line option is wrong; the message says what and where."""


class LedgerError(GatewayError):
    """The ledger could not be reached or refused a write."""


class InputError(GatewayError):
    """Something a depositor sent cannot be read. Carries a platform code and a bilingual message."""

    code = "IRR_SYNTAX"

    def __init__(self, message_en: str, message_fr: str | None = None, *, code: str | None = None):
        super().__init__(message_en)
        self.message_en = message_en
        self.message_fr = message_fr or message_en
        if code:
            self.code = code


class UnreadableFlow(InputError):
    """A whole deposited file cannot be read: the flow is irrecevable and quarantined with this reason."""


class UnreadableDocument(InputError):
    """One document (a lot member, a CSV invoice) cannot be read; the rest of the lot goes on."""


class EmptyFile(UnreadableFlow):
    code = "IRR_VIDE"


class UnknownFormat(UnreadableFlow):
    code = "IRR_TYPE"


class MalformedContent(UnreadableFlow):
    code = "IRR_SYNTAX"


class ExtractionFailed(UnreadableFlow):
    code = "IRR_EXTRAC"


class TooLarge(UnreadableFlow):
    code = "IRR_TAILLE"


class ZipBomb(TooLarge):
    """A ZIP lot expands beyond its limits (compression ratio, total size, member count): a decompression bomb.
    Reading stops at once and the whole lot is refused, even when the bomb is a member of a nested lot."""
