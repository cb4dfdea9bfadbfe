"""edi_gateway: a batch intake gateway for electronic invoices, after France's Chorus Pro."""

__version__ = "0.1.0"
