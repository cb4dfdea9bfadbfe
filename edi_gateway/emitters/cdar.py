"""Status returns as UN/CEFACT CDAR messages (Cross Domain Acknowledgement and Response, D22B), French CTC profile.

A CDAR is the reform's life-cycle message ("CDV", Flux 6): one message says that one object (an invoice, or a
deposited flow) reached one status. The gateway, acting as the platform, writes one for each status event of each
invoice and one per flow; the depositor's software reads them from its returns folder (see `returns.py`). Every
message is valid against the official D22B XSD and the BR-FR-CDV schematron that ship with `pyfrctc`
(`validate_cdar` runs both; the tests hold every kind of message to it).

Statuses sent (facts §2.2):

* invoice: 200 Déposée (accepted), 203 Mise à disposition (routed to the recipient), 213 Rejetée (with a reason
  code and the fatal findings as notes). Any other code raises ValueError: the gateway records no other event.
* flow: 500 Recevable (the file could be read; each invoice then has its own statuses) and 501 Irrecevable (the
  file could not be read, with its IRR_* reason).

What the schematron requires, and so what every message carries:

* Guideline (MDT-3): ``urn.cpro.gouv.fr:1p0:CDV:invoice``, the only value it accepts for a message whose
  recipient is not the PPF (``…:CDV:einvoicingF2`` only when the single recipient is the PPF, 0238 ``0000``, role
  DFH; ``…:CDV:flux`` of the facts sheet is refused, so flow messages use the invoice guideline too).
* Business process (MDT-2): ``REGULATED``. BR-FR-CDV-CL-01 compares only that value with the element (its other
  values are compared with the whole context, so they never match): the billing frame cannot go there (it does
  only in a CDV addressed to the PPF, at most 3 characters) and is not carried.
* Acknowledgement type (MDT-77): ``305``, the transmission phase, for every status sent here (statuses issued by
  a platform; ``23`` is the processing phase, statuses of the buyer). With 305 both the sender (MDT-21) and the
  issuer of the status (MDT-40) must have role ``WK`` (platform), and the issuer has no GlobalID (BR-FR-CDV-07).
* Sender (MDT-20/21): GlobalID ``PLATFORM_NUMBER`` with schemeID ``0238`` (platform number), role WK.
  ``9999`` is a placeholder for the platform's 4-digit number given at its registration; note that the schematron
  reads ``9999`` as the B2G platform (Chorus Pro): a 210 Refusée from 9999 is held to the B2G reason list. That
  rule does not concern the statuses sent here.
* Recipient (MDT-57…73): the seller, as reached through the depositor: GlobalID the seller's identifiers (below),
  role ``SE``. Any role other than WK/DFH needs an electronic address (BR-FR-CDV-08): URIID is the depositor's
  account on this gateway (the batch's ``depositor``), without a scheme: the message is delivered to its returns
  folder (a platform would give the recipient's directory address here, scheme 0225). A flow message names no
  seller (the flow may hold several, or none could be read): only the depositor's address.
* Referenced document: IssuerAssignedID (MDT-87) the invoice number, or the flow id (the batch id) for a flow;
  TypeCode (MDT-91) the invoice type when it is in the schematron's list (BR-FR-04: 380 389 393 501 386 500 384
  471 472 473 261 262 381 396 502 503), otherwise left out. A flow message leaves it out: G7.15's ``303`` (flow)
  is not in that list, so the schematron refuses it. ReceiptDateTime is the flow's receipt time;
  FormattedIssueDateTime (MDT-100, format 102) the invoice date, mandatory except for 501 (BR-FR-CDV-11): an
  invoice whose date could not be read, and a flow, carry the flow's receipt date instead.
  ProcessConditionCode (MDT-105) is the status code, ProcessCondition its French label. The status time (MDT-78)
  is the event's time, or for a flow the time it was decided (its receipt time before that).
* Seller (MDT-129, role ``SE`` per BR-FR-CDV-CL-07): a SIRET gives its SIREN (the first 9 digits) with scheme
  ``0002`` (G7.17) and the SIRET with ``0009``; a SIREN gives itself (0002); a French VAT number (FR + key + SIREN)
  gives its SIREN (0002) and itself (0223); any other identifier is given with the scheme of the first identifier
  type it is valid for (0223 EU VAT, 0227 non-EU, 0228 RIDET, 0229 TAHITI, 0226 private person), or with no scheme
  when none fits. No SIREN then: G7.17 cannot be met and the schematron does not check it. An invoice without a
  supplier identifier has no seller block (BR-FR-CDV-13 only checks a block that is present).
* Buyer (MDT-158, role ``BY``): the recipient structure's SIRET (scheme 0009) when the invoice has one.
* Status detail (MDG-37): one block, SequenceNumeric 1 (mandatory with a block), for 213 and 501 only (the
  statuses that need a reason, BR-FR-CDV-15; a 200 may only carry NON_TRANSMISE, so 200/203 carry none).
  ReasonCode (MDT-113) is mapped below; for 213 each fatal finding is an IncludedNote: ContentCode the rule id,
  Content the French message (at most 2000 characters, cut with "…"), SubjectCode the location, else the field,
  else the business terms. The schematron does not check notes.
* Dates: IssueDateTime (the message's, MDT-8) and the status time (MDT-78) in format 204, ``YYYYMMDDHHMMSS``, in
  UTC (aware datetimes are converted; naive ones are taken as UTC).

Reason codes. The schematron restricts MDT-113 per status; our codes outside its lists are mapped, and our own
code is kept in a first IncludedNote (ContentCode our code, Content a French sentence):

* 213 accepts MONTANTTOTAL_ERR CALCUL_ERR DOUBLON DEST_INC ADR_ERR REJ_SEMAN REJ_UNI REJ_COH REJ_ADR REJ_CONT_B2G
  REJ_REF_PJ REJ_ASS_PJ. Kept as they are: REJ_SEMAN, DOUBLON, REJ_UNI, DEST_INC (and the rest of that list).
  Mapped: SE_ERR (service code) and CMD_EJ_ERR (engagement) → REJ_CONT_B2G (the B2G controls on a public buyer's
  requirements); DEST_ERR (recipient inactive, or its works settings refuse the frame) → REJ_CONT_B2G; REJ_HAB (the
  depositor may not act for the supplier; an F6 code) → REJ_CONT_B2G (the portal's attachment control);
  SIRET_ERR (the supplier identifier is wrong) → REJ_SEMAN. No code, or any other → REJ_SEMAN.
* 501 accepts the file-level codes only: IRR_VIDE_F IRR_TYPE_F IRR_SYNTAX IRR_TAILLE_PJ IRR_NOM_PJ IRR_VID_PJ
  IRR_EXT_DOC IRR_TAILLE_F IRR_ANTIVIRUS IRR_NOM_F. Mapped: IRR_VIDE → IRR_VIDE_F, IRR_TYPE → IRR_TYPE_F,
  IRR_TAILLE → IRR_TAILLE_F, IRR_FORM → IRR_NOM_F, IRR_EXTRAC (no invoice could be extracted from the archive or
  PDF) → IRR_TYPE_F. IRR_UNICITE (the same bytes were already deposited) has no equivalent in the list: it is sent
  as IRR_NOM_F (the platform's flow unicity is a control on the flow's identity), with IRR_UNICITE in the note.
  Any other code → IRR_SYNTAX. The batch's French reason (``reason_fr``) is the status text (MDT-114).

Messages are rendered from `templates/cdar.xml.j2` (`Message`, `_render`).

Message ids (MDT-4, at most 50 characters): `cdar_message_id(batch id, position, status code)`, e.g.
``EDG20250101120000ABCD1234-3-213``; position 0 is the flow. Same inputs, same id, same bytes: a message rewritten
after a crash is identical.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from importlib.resources import as_file, files

from jinja2 import Environment, PackageLoader, StrictUndefined
from lxml import etree

from .. import identifiers
from ..ledger.models import BatchRow, FindingRow, InvoiceRow, StatusEventRow
from ..model import Severity
from ..validators.official import Artifact, official_validator
from .xmltext import xml_text

RSM = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

CDAR_XSD = ("pyfrctc", "cdar-xsd/CrossDomainAcknowledgementAndResponse_100pD22B.xsd")
CDAR_SCHEMATRON = Artifact("BR-FR-CDV-CDAR", "pyfrctc", "cdar-schematron/BR-FR-CDV-Schematron-CDAR.xslt")

PLATFORM_NUMBER = "9999"  # placeholder for the platform's 4-digit number (scheme 0238)
PLATFORM_SCHEME = "0238"
PLATFORM_NAME = "edi-gateway"
GUIDELINE_ID = "urn.cpro.gouv.fr:1p0:CDV:invoice"
BUSINESS_PROCESS = "REGULATED"
TRANSMISSION_PHASE = "305"
PLATFORM_ROLE, SELLER_ROLE, BUYER_ROLE = "WK", "SE", "BY"
SIREN_SCHEME, SIRET_SCHEME = identifiers.siren.SCHEME, identifiers.siret.SCHEME
EU_VAT_SCHEME = identifiers.eu_vat.SCHEME
DATETIME_FORMAT, DATE_FORMAT = "204", "102"

DEPOSITED, MADE_AVAILABLE, REJECTED, RECEVABLE, IRRECEVABLE = "200", "203", "213", "500", "501"
STATUS_LABELS = {DEPOSITED: "Déposée", MADE_AVAILABLE: "Mise à disposition", REJECTED: "Rejetée",
                 RECEVABLE: "Recevable", IRRECEVABLE: "Irrecevable"}
INVOICE_STATUSES = (DEPOSITED, MADE_AVAILABLE, REJECTED)
FLOW_POSITION = 0

#: BR-FR-04: the referenced document's type codes the schematron accepts.
DOCUMENT_TYPE_CODES = frozenset("380 389 393 501 386 500 384 471 472 473 261 262 381 396 502 503".split())

#: BR-FR-CDV-CL-09: the reasons the schematron accepts for 213 Rejetée, and how ours map onto them.
REJECTION_REASONS = frozenset("MONTANTTOTAL_ERR CALCUL_ERR DOUBLON DEST_INC ADR_ERR REJ_SEMAN REJ_UNI REJ_COH "
                              "REJ_ADR REJ_CONT_B2G REJ_REF_PJ REJ_ASS_PJ".split())
REJECTION_REASON_MAP = {"SE_ERR": "REJ_CONT_B2G", "CMD_EJ_ERR": "REJ_CONT_B2G", "DEST_ERR": "REJ_CONT_B2G",
                        "REJ_HAB": "REJ_CONT_B2G", "SIRET_ERR": "REJ_SEMAN"}
DEFAULT_REJECTION_REASON = "REJ_SEMAN"

#: BR-FR-CDV-CL-09: the reasons the schematron accepts for 501 Irrecevable, and how ours map onto them.
IRRECEVABILITY_REASONS = frozenset("IRR_VIDE_F IRR_TYPE_F IRR_SYNTAX IRR_TAILLE_PJ IRR_NOM_PJ IRR_VID_PJ "
                                   "IRR_EXT_DOC IRR_TAILLE_F IRR_ANTIVIRUS IRR_NOM_F".split())
IRRECEVABILITY_REASON_MAP = {"IRR_VIDE": "IRR_VIDE_F", "IRR_TYPE": "IRR_TYPE_F", "IRR_TAILLE": "IRR_TAILLE_F",
                             "IRR_FORM": "IRR_NOM_F", "IRR_EXTRAC": "IRR_TYPE_F", "IRR_UNICITE": "IRR_NOM_F"}
DEFAULT_IRRECEVABILITY_REASON = "IRR_SYNTAX"

NOTE_MAX_LENGTH = 2000
MESSAGE_ID_MAX_LENGTH = 50
_ID_CHARACTERS = re.compile(r"[A-Za-z0-9+\-_/]+")
_UNSAFE_ID_CHARACTER = re.compile(r"[^A-Za-z0-9+\-_/]")
_SIRET, _SIREN = re.compile(r"\d{14}"), re.compile(r"\d{9}")
_FRENCH_VAT = re.compile(r"FR[0-9A-Z]{2}(\d{9})")
_OTHER_SCHEMES = (identifiers.eu_vat, identifiers.non_eu, identifiers.ridet, identifiers.tahiti,
                  identifiers.private_person)

GlobalId = tuple[str | None, str]  # (scheme, value)


# -- public API ---------------------------------------------------------------------------------------------------
def cdar_message_id(batch_id: str, position: int, status_code: str) -> str:
    """The id of the message for one status of one invoice (its position, from 1) or of the flow (FLOW_POSITION).

    Deterministic, at most 50 characters of ``A-Za-z0-9+-_/``: ``<batch>-<position>-<code>``, or, when that is too
    long or holds other characters, a shortened batch id followed by a digest of the full one.
    """
    plain = f"{batch_id}-{position}-{status_code}"
    if len(plain) <= MESSAGE_ID_MAX_LENGTH and _ID_CHARACTERS.fullmatch(plain):
        return plain
    digest = hashlib.sha256(plain.encode("utf-8")).hexdigest()[:16]
    tail = f"-{position}-{status_code}-{digest}"
    return _UNSAFE_ID_CHARACTER.sub("", batch_id)[:MESSAGE_ID_MAX_LENGTH - len(tail)] + tail


def invoice_status_message(batch: BatchRow, invoice: InvoiceRow, event: StatusEventRow, *, message_id: str,
                           issued_at: datetime) -> bytes:
    """The CDAR message saying that `invoice` reached the status of `event` (200, 203 or 213)."""
    if event.code not in INVOICE_STATUSES:
        raise ValueError(f"status {event.code} is not one the gateway sends (only {', '.join(INVOICE_STATUSES)})")
    seller_ids = _seller_ids(invoice.supplier_id)
    message = Message(
        message_id=message_id, issued_at=_format_204(issued_at), header_parties=_header_parties(seller_ids, batch),
        status_at=_format_204(event.at), reference=_invoice_reference(invoice),
        type_code=invoice.type_code if invoice.type_code in DOCUMENT_TYPE_CODES else None,
        received_at=_format_204(batch.received_at), issue_date=_invoice_date(invoice, batch).strftime("%Y%m%d"),
        status=event.code, document_parties=[
            party for party in (Party("IssuerTradeParty", seller_ids, SELLER_ROLE),
                                Party("RecipientTradeParty", _buyer_ids(invoice.recipient_id), BUYER_ROLE))
            if party.global_ids])  # a party of the invoice is left out when none of its identifiers is known
    if event.code == REJECTED:
        message.reason_code = rejection_reason(event.reason_code)
        message.notes = _mapped_reason_notes(event.reason_code, message.reason_code, REJECTED) + [
            (finding.rule, _clip(finding.message_fr), _finding_subject(finding))
            for finding in _fatal_findings(invoice.findings)]
    return _render(message)


def flow_status_message(batch: BatchRow, *, message_id: str, issued_at: datetime) -> bytes:
    """The CDAR message for the flow itself: 501 Irrecevable when it could not be read (an IRR_* reason), else
    500 Recevable."""
    code = IRRECEVABLE if flow_is_irrecevable(batch) else RECEVABLE
    message = Message(
        message_id=message_id, issued_at=_format_204(issued_at), header_parties=_header_parties([], batch),
        status_at=_format_204(batch.decided_at or batch.received_at), reference=batch.id,
        received_at=_format_204(batch.received_at), issue_date=_utc(batch.received_at).strftime("%Y%m%d"),
        status=code)
    if code == IRRECEVABLE:
        message.reason_code = irrecevability_reason(batch.reason_code)
        reason = batch.reason_fr or batch.reason
        message.reason = _clip(reason) if reason else None
        message.notes = _mapped_reason_notes(batch.reason_code, message.reason_code, IRRECEVABLE)
    return _render(message)


def flow_is_irrecevable(batch: BatchRow) -> bool:
    """Whether the flow could not be read at all (its reason is an IRR_* code)."""
    return bool(batch.reason_code and batch.reason_code.startswith("IRR_"))


def rejection_reason(reason_code: str | None) -> str:
    """The 213 reason code the schematron accepts for one of ours."""
    if reason_code in REJECTION_REASONS:
        return reason_code
    return REJECTION_REASON_MAP.get(reason_code or "", DEFAULT_REJECTION_REASON)


def irrecevability_reason(reason_code: str | None) -> str:
    """The 501 reason code the schematron accepts for one of ours."""
    if reason_code in IRRECEVABILITY_REASONS:
        return reason_code
    return IRRECEVABILITY_REASON_MAP.get(reason_code or "", DEFAULT_IRRECEVABILITY_REASON)


def seller_siren(supplier_id: str | None) -> str | None:
    """The seller's SIREN read from its identifier: a SIRET's first 9 digits, a SIREN, or a French VAT number's
    last 9 digits; None for any other identifier."""
    ids = dict(_seller_ids(supplier_id))
    return ids.get(SIREN_SCHEME)


def validate_cdar(data: bytes) -> list[str]:
    """The problems the official D22B XSD and the BR-FR-CDV schematron find in a CDAR message; empty when valid."""
    try:
        document = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"XML: {exc}"]
    problems = [f"XSD: {error.message} (line {error.line})" for error in _xsd_errors(document)]
    problems.extend(f"{finding.rule} at {finding.location}: {finding.message_fr}"
                    for finding in official_validator().findings(CDAR_SCHEMATRON, data))
    return problems


# -- the message -------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class Party:
    """A trade party of the message (its sender, issuer, recipient) or of the referenced invoice."""

    tag: str
    global_ids: Sequence[GlobalId]
    role: str
    name: str | None = None
    address: str | None = None  # URIUniversalCommunication/URIID


@dataclasses.dataclass(slots=True)
class Message:
    """The values of one message, as text, in the order the template (templates/cdar.xml.j2) lays them out."""

    message_id: str
    issued_at: str  # format 204
    header_parties: list[Party]  # sender, issuer, recipient of the message
    status_at: str  # format 204
    reference: str  # the invoice number, or the flow id
    received_at: str  # format 204
    issue_date: str  # format 102
    status: str
    type_code: str | None = None
    document_parties: list[Party] = dataclasses.field(default_factory=list)  # the invoice's seller and buyer
    reason_code: str | None = None  # with a status detail block (213, 501) only
    reason: str | None = None
    notes: list[tuple[str, str, str | None]] = dataclasses.field(default_factory=list)  # (code, content, subject)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _header_parties(recipient_ids: Sequence[GlobalId], batch: BatchRow) -> list[Party]:
    """The platform sends and issues the status; the seller (none for a flow), through its depositor, receives."""
    return [Party("SenderTradeParty", [(PLATFORM_SCHEME, PLATFORM_NUMBER)], PLATFORM_ROLE, name=PLATFORM_NAME),
            Party("IssuerTradeParty", [], PLATFORM_ROLE, name=PLATFORM_NAME),
            Party("RecipientTradeParty", recipient_ids, SELLER_ROLE, address=batch.depositor)]


def _render(message: Message) -> bytes:
    """The message's XML, from a template: 85 µs against 150 µs building it with lxml, for the two messages every
    accepted invoice leaves (every kind of message is held to the official XSD and schematron by the tests)."""
    if len(message.message_id) > MESSAGE_ID_MAX_LENGTH:
        raise ValueError(f"message id {message.message_id!r} is longer than {MESSAGE_ID_MAX_LENGTH} characters")
    return _template().render(m=message).encode("utf-8")


def _mapped_reason_notes(own_code: str | None, sent_code: str, status: str) -> list[tuple[str, str, None]]:
    """Our own reason code, as a note, when the schematron made us send another one in its place."""
    if not own_code or own_code == sent_code:
        return []
    return [(own_code, _clip(f"Motif de la passerelle : {own_code}. Le schematron BR-FR-CDV n'admet pas ce code pour "
                             f"le statut {status} : il est transmis sous le code {sent_code}."), None)]


_PLAIN_TEXT = re.compile(r"[\w .,:;/+=@()-]*", re.ASCII)  # nothing to escape, nothing XML forbids


def _xml_value(value: object) -> str:
    """A value as the template writes it, in element text or in a double-quoted attribute: XML-safe
    (`xml_text`), escaped, a carriage return as a reference (an XML parser reads a raw one as a line feed)."""
    text = value if isinstance(value, str) else str(value)
    if _PLAIN_TEXT.fullmatch(text):
        return text
    return html.escape(xml_text(text), quote=True).replace("\r", "&#13;")


@functools.lru_cache(maxsize=1)
def _template():
    environment = Environment(loader=PackageLoader("edi_gateway.emitters", "templates"), autoescape=False,
                              finalize=_xml_value, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    return environment.get_template("cdar.xml.j2", globals={
        "ns": NSMAP, "business_process": BUSINESS_PROCESS, "guideline": GUIDELINE_ID,
        "datetime_format": DATETIME_FORMAT, "date_format": DATE_FORMAT, "transmission_phase": TRANSMISSION_PHASE})


# -- values taken from the ledger rows ----------------------------------------------------------------------------
def _seller_ids(supplier_id: str | None) -> list[GlobalId]:
    """The seller's identifiers for MDT-129, SIREN (0002) first when one can be read (see the module docstring)."""
    value = (supplier_id or "").strip()
    compact = value.replace(" ", "").upper()
    if not value:
        return []
    if _SIRET.fullmatch(compact):
        return [(SIREN_SCHEME, compact[:9]), (SIRET_SCHEME, compact)]
    if _SIREN.fullmatch(compact):
        return [(SIREN_SCHEME, compact)]
    french_vat = _FRENCH_VAT.fullmatch(compact)
    if french_vat:
        return [(SIREN_SCHEME, french_vat.group(1)), (EU_VAT_SCHEME, compact)]
    return [(_scheme_of(value), value)]


def _scheme_of(value: str) -> str | None:
    """The ICD scheme of the first identifier type `value` is valid for, or None."""
    for module in _OTHER_SCHEMES:
        if module.is_valid(value):
            return module.SCHEME
    return None


def _buyer_ids(recipient_id: str | None) -> list[GlobalId]:
    value = (recipient_id or "").strip()
    return [(SIRET_SCHEME, value)] if _SIRET.fullmatch(value) else []


def _invoice_reference(invoice: InvoiceRow) -> str:
    """The invoice number; for an invoice that could not be read, where it was in the flow (its origin)."""
    number = (invoice.number or "").strip()
    return number or invoice.origin or f"#{invoice.position}"


def _invoice_date(invoice: InvoiceRow, batch: BatchRow) -> date:
    """The invoice's issue date; the flow's receipt date when the invoice's could not be read."""
    try:
        return date.fromisoformat(invoice.issue_date or "")
    except ValueError:
        return _utc(batch.received_at).date()


def _fatal_findings(findings: Iterable[FindingRow]) -> list[FindingRow]:
    return [finding for finding in findings if finding.severity == Severity.FATAL.value]


def _finding_subject(finding: FindingRow) -> str | None:
    return finding.location or finding.field or finding.bt or None


def _clip(text: str) -> str:
    return text if len(text) <= NOTE_MAX_LENGTH else text[:NOTE_MAX_LENGTH - 1] + "…"


def _format_204(moment: datetime) -> str:
    return _utc(moment).strftime("%Y%m%d%H%M%S")


def _utc(moment: datetime) -> datetime:
    """An aware time converted to UTC; a naive one (SQLite gives those back) is taken as UTC already."""
    return moment.astimezone(timezone.utc) if moment.tzinfo is not None else moment


# -- validation ---------------------------------------------------------------------------------------------------
_LOCAL = threading.local()


def _xsd_errors(document: etree._Element) -> list:
    """The XSD's errors on a parsed message; the schema is loaded once per thread (like the Saxon processor)."""
    schema = getattr(_LOCAL, "schema", None)
    if schema is None:
        package, path = CDAR_XSD
        with as_file(files(package).joinpath(path)) as xsd_path:
            schema = _LOCAL.schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    if schema.validate(document):
        return []
    return list(schema.error_log)
