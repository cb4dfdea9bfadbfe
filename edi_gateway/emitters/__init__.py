"""Emit stage: everything the gateway writes for others to read (reports; later status returns, routed files)."""
