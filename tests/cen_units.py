"""The CEN EN 16931 unit tests (`../shared/corpus/en16931/unit-tests/`), read as cases.

Each unit-test file is a `<testSet>` about one rule; each `<test>` holds an expectation (`<success>RULE</success>`:
the fragment must not trigger RULE; `<error>` / `<warning>`: it must) and an invoice fragment. Fragments are
deliberately incomplete: a validator judges the rule in scope and must not crash on the rest.

Run as a script to see where the native rules stand, family by family::

    .venv/bin/python -m tests.cen_units [PREFIX]     # e.g. BR-S, BR-CL, BR-CO
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from edi_gateway.model import Origin
from edi_gateway.parsers import read_xml_invoice
from edi_gateway.validators.engine import REGISTRY, CheckContext, all_rules, run_rules

from .conftest import CORPUS

UNIT_TESTS = CORPUS / "unit-tests"
all_rules()  # registers every rule in REGISTRY, once
VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"

# Syntax-binding rules (UBL-SR, UBL-DT, UBL-CR) check the XML itself, not business terms: the XSD and the official
# artifact in --strict mode cover them; the native rules work on the model (see docs/rules.md).
SYNTAX_PREFIXES = ("UBL-", "CII-")


@dataclass(frozen=True)
class UnitCase:
    file: Path
    number: int  # position of the test in its file, from 1
    rule: str
    expect_fired: bool
    fragment: bytes

    @property
    def id(self) -> str:
        return f"{self.file.name}#{self.number}"

    @property
    def is_syntax_rule(self) -> bool:
        return self.rule.startswith(SYNTAX_PREFIXES)


def load_cases() -> list[UnitCase]:
    cases = []
    for file in sorted(UNIT_TESTS.glob("*/*.xml")):
        root = etree.parse(str(file)).getroot()
        for number, test in enumerate(root.iter(f"{VEFA}test"), start=1):
            assertion = test.find(f"{VEFA}assert")
            fragment = next(child for child in test if child.tag != f"{VEFA}assert" and isinstance(child.tag, str))
            for outcome in assertion:
                name = etree.QName(outcome).localname
                if name in ("success", "error", "warning"):
                    cases.append(UnitCase(file, number, outcome.text.strip(), name != "success",
                                          etree.tostring(fragment)))
    return cases


def native_fires(case: UnitCase) -> bool:
    """Whether the native rule in scope reports anything on the case's fragment."""
    document = read_xml_invoice(case.fragment, Origin(file_name=case.id))
    return bool(run_rules(document.invoice, CheckContext(), [REGISTRY[case.rule]]))


def main(prefix: str = "") -> int:
    cases = [case for case in load_cases() if case.rule.startswith(prefix) and not case.is_syntax_rule]
    missing = sorted({case.rule for case in cases if case.rule not in REGISTRY})
    wrong = []
    for case in cases:
        if case.rule in REGISTRY:
            try:
                fired = native_fires(case)
            except Exception as exc:  # noqa: BLE001  (a report for the developer, not a test)
                wrong.append(f"{case.id} {case.rule}: crashed: {exc!r}")
                continue
            if fired != case.expect_fired:
                wrong.append(f"{case.id} {case.rule}: expected {'fire' if case.expect_fired else 'pass'}, "
                             f"got {'fire' if fired else 'pass'}")
    print(f"{len(cases)} cases; rules not implemented ({len(missing)}): {' '.join(missing)}")
    print(f"disagreements ({len(wrong)}):", *wrong, sep="\n  ")
    return 1 if missing or wrong else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
