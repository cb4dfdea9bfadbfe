"""docs/rules.md, generated from the rule registry (never written by hand): `edi-gateway rules --markdown`."""

from __future__ import annotations

from .engine import all_rules

_HEADER = """# Rules

Generated from the code by `edi-gateway rules --markdown`; do not edit by hand.

Besides these native rules, every XML invoice is validated against its official XSD (rule `XSD`, see
schemas/README.md), and a file or lot member that cannot be read at all is reported with the platform's
irrecevability code (`IRR_VIDE`, `IRR_TYPE`, `IRR_SYNTAX`, `IRR_EXTRAC`, `IRR_TAILLE`, `IRR_NOM_F`,
`IRR_UNICITE`). Values that cannot be read as the type their field needs are reported as `XML-VALUE` or
`CSV-VALUE`. Placeholders in braces are filled in with the invoice's values.
"""


def rules_markdown() -> str:
    lines = [_HEADER]
    group = None
    for rule in all_rules():
        if rule.group != group:
            group = rule.group
            lines += ["", f"## {group}", "", "| id | severity | BT | message (en) | message (fr) | hint | reason code |",
                      "|---|---|---|---|---|---|---|"]
        cells = [rule.id, rule.severity.value, ", ".join(rule.bt), rule.en, rule.fr, rule.hint, rule.reason_code]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
