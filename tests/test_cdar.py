"""CDAR status returns: every message passes the official D22B XSD and the BR-FR-CDV schematron, and says what it
should (status, invoice, reason, notes). Ledger rows are built in memory, unattached to any database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from edi_gateway.emitters.cdar import (
    MESSAGE_ID_MAX_LENGTH, NOTE_MAX_LENGTH, cdar_message_id, flow_status_message, invoice_status_message,
    seller_siren, validate_cdar,
)
from edi_gateway.ledger.models import BatchRow, FindingRow, InvoiceRow, StatusEventRow

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
REFERENCED = "/rsm:CrossDomainAcknowledgementAndResponse/rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
DETAIL = f"{REFERENCED}/ram:SpecifiedDocumentStatus"
RECEIVED_AT = datetime(2025, 3, 14, 9, 30, 12, tzinfo=timezone.utc)
DECIDED_AT = RECEIVED_AT + timedelta(seconds=3)
ROUTED_AT = RECEIVED_AT + timedelta(seconds=5)
ISSUED_AT = RECEIVED_AT + timedelta(minutes=1)
BATCH_ID = "EDG20250314093012ABCD1234"
SUPPLIER_SIRET = "32456789000011"
RECIPIENT_SIRET = "11000201100044"


# -- ledger rows, as the pipeline records them ---------------------------------------------------------------------
def make_batch(**overrides) -> BatchRow:
    values = dict(id=BATCH_ID, depositor="cabinet-durand", source="folder:/srv/inbox/cabinet-durand",
                  file_name="lot-mars.zip", sha256="ab" * 32, size=48_213, received_at=RECEIVED_AT, format="ubl",
                  state="DONE", flow_status="IN_INTEGRE_PARTIEL", decided_at=DECIDED_AT, invoice_count=2,
                  accepted_count=1, rejected_count=1)
    values.update(overrides)
    return BatchRow(**values)


def make_invoice(position: int = 1, **overrides) -> InvoiceRow:
    values = dict(batch_id=BATCH_ID, position=position, origin=f"lot-mars.zip!facture-{position}.xml#1",
                  format="ubl-invoice", supplier_id=SUPPLIER_SIRET, number=f"FA-2025-{position:04d}",
                  issue_year=2025, document_family="invoice", issue_date="2025-03-10", type_code="380",
                  recipient_id=RECIPIENT_SIRET, service_code="SERV-COMPTA", billing_frame="A1",
                  decision="accepted", status_code="200")
    values.update(overrides)
    return InvoiceRow(**values)


def make_finding(rule: str, message_fr: str, severity: str = "fatal", **overrides) -> FindingRow:
    values = dict(rule=rule, severity=severity, message_fr=message_fr, message_en=f"(en) {message_fr}",
                  source="native")
    values.update(overrides)
    return FindingRow(**values)


def make_event(code: str, reason_code: str | None = None, at: datetime = DECIDED_AT) -> StatusEventRow:
    labels = {"200": "Déposée", "203": "Mise à disposition", "213": "Rejetée"}
    return StatusEventRow(batch_id=BATCH_ID, code=code, label=labels.get(code, code), reason_code=reason_code,
                          at=at)


def rejected(reason_code: str, findings: list[FindingRow], **overrides) -> tuple[InvoiceRow, StatusEventRow]:
    invoice = make_invoice(decision="rejected", status_code="213", **overrides)
    invoice.findings = findings
    return invoice, make_event("213", reason_code)


def status_message(invoice: InvoiceRow, event: StatusEventRow, batch: BatchRow | None = None) -> bytes:
    return invoice_status_message(batch or make_batch(), invoice, event,
                                  message_id=cdar_message_id(BATCH_ID, invoice.position, event.code),
                                  issued_at=ISSUED_AT)


def flow_message(batch: BatchRow) -> bytes:
    code = "501" if batch.reason_code else "500"
    return flow_status_message(batch, message_id=cdar_message_id(batch.id, 0, code), issued_at=ISSUED_AT)


# -- reading a message back ----------------------------------------------------------------------------------------
def texts(message: bytes, path: str) -> list[str]:
    return [node.text for node in etree.fromstring(message).xpath(path, namespaces=NS)]


def text(message: bytes, path: str) -> str | None:
    found = texts(message, path)
    assert len(found) <= 1, f"{path} found {len(found)} times"
    return found[0] if found else None


def global_ids(message: bytes, party_path: str) -> dict[str, str]:
    nodes = etree.fromstring(message).xpath(f"{party_path}/ram:GlobalID", namespaces=NS)
    return {node.get("schemeID"): node.text for node in nodes}


def notes(message: bytes) -> list[tuple[str | None, str | None, str | None]]:
    result = []
    for note in etree.fromstring(message).xpath(f"{DETAIL}/ram:IncludedNote", namespaces=NS):
        result.append(tuple(note.findtext(f"{{{NS['ram']}}}{tag}") for tag in ("ContentCode", "Content",
                                                                              "SubjectCode")))
    return result


def assert_valid(message: bytes) -> None:
    assert validate_cdar(message) == []


# -- invoices -------------------------------------------------------------------------------------------------------
def test_accepted_invoice_gets_deposited_then_made_available():
    invoice = make_invoice()
    deposited = status_message(invoice, make_event("200"))
    available = status_message(invoice, make_event("203", at=ROUTED_AT))

    for message, code, label in ((deposited, "200", "Déposée"), (available, "203", "Mise à disposition")):
        assert_valid(message)
        assert text(message, f"{REFERENCED}/ram:ProcessConditionCode") == code
        assert text(message, f"{REFERENCED}/ram:ProcessCondition") == label
        assert text(message, f"{REFERENCED}/ram:IssuerAssignedID") == "FA-2025-0001"
        assert text(message, f"{REFERENCED}/ram:TypeCode") == "380"
        assert text(message, f"{REFERENCED}/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20250310"
        assert text(message, f"{REFERENCED}/ram:ReceiptDateTime/udt:DateTimeString") == "20250314093012"
        assert texts(message, DETAIL) == []  # no reason: a 200 may only carry NON_TRANSMISE
    assert text(deposited, "//rsm:ExchangedDocument/ram:ID") == f"{BATCH_ID}-1-200"
    assert text(available, "//rsm:ExchangedDocument/ram:ID") == f"{BATCH_ID}-1-203"
    assert text(available, "//rsm:AcknowledgementDocument/ram:IssueDateTime/udt:DateTimeString") == "20250314093017"


def test_header_names_the_platform_the_seller_and_the_depositor():
    message = status_message(make_invoice(), make_event("200"))

    assert text(message, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == \
        "urn.cpro.gouv.fr:1p0:CDV:invoice"
    assert text(message, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "REGULATED"
    assert text(message, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20250314093112"
    assert text(message, "//rsm:AcknowledgementDocument/ram:TypeCode") == "305"
    assert global_ids(message, "//rsm:ExchangedDocument/ram:SenderTradeParty") == {"0238": "9999"}
    assert text(message, "//rsm:ExchangedDocument/ram:SenderTradeParty/ram:RoleCode") == "WK"
    assert text(message, "//rsm:ExchangedDocument/ram:IssuerTradeParty/ram:RoleCode") == "WK"
    recipient = "//rsm:ExchangedDocument/ram:RecipientTradeParty"
    assert text(message, f"{recipient}/ram:RoleCode") == "SE"
    assert text(message, f"{recipient}/ram:URIUniversalCommunication/ram:URIID") == "cabinet-durand"
    seller = f"{REFERENCED}/ram:IssuerTradeParty"
    assert global_ids(message, seller) == {"0002": "324567890", "0009": SUPPLIER_SIRET}
    assert text(message, f"{seller}/ram:RoleCode") == "SE"
    assert global_ids(message, f"{REFERENCED}/ram:RecipientTradeParty") == {"0009": RECIPIENT_SIRET}


def test_rejected_invoice_lists_its_fatal_findings_as_notes():
    long_message = "Le montant total TTC ne correspond pas. " * 120
    invoice, event = rejected("REJ_SEMAN", [
        make_finding("BR-CO-15", long_message, field="totals.tax_inclusive",
                     location="/Invoice[1]/cac:LegalMonetaryTotal[1]/cbc:TaxInclusiveAmount[1]"),
        make_finding("BR-FR-05", "La date d'échéance est absente", field="due_date", bt="BT-9"),
        make_finding("FR-VAT-02", "Le taux de TVA 19,6 % n'est plus en vigueur", severity="warning",
                     field="lines[0].vat_rate"),
        make_finding("BR-16", "La facture n'a aucune ligne", bt="BG-25"),
    ])
    message = status_message(invoice, event)

    assert_valid(message)
    assert text(message, f"{REFERENCED}/ram:ProcessConditionCode") == "213"
    assert text(message, f"{DETAIL}/ram:ReasonCode") == "REJ_SEMAN"
    assert text(message, f"{DETAIL}/ram:SequenceNumeric") == "1"
    found = notes(message)
    assert [code for code, _, _ in found] == ["BR-CO-15", "BR-FR-05", "BR-16"]  # the warning is not a reason
    assert len(found[0][1]) == NOTE_MAX_LENGTH and found[0][1].endswith("…")
    assert found[0][2] == "/Invoice[1]/cac:LegalMonetaryTotal[1]/cbc:TaxInclusiveAmount[1]"
    assert found[1] == ("BR-FR-05", "La date d'échéance est absente", "due_date")
    assert found[2] == ("BR-16", "La facture n'a aucune ligne", "BG-25")


def test_rejected_duplicate():
    invoice, event = rejected("DOUBLON", [make_finding(
        "FR-DUP-01", "La facture FA-2025-0001 du fournisseur 32456789000011 a déjà été déposée en 2025",
        field="number")])
    message = status_message(invoice, event)

    assert_valid(message)
    assert text(message, f"{DETAIL}/ram:ReasonCode") == "DOUBLON"
    assert notes(message) == [("FR-DUP-01", "La facture FA-2025-0001 du fournisseur 32456789000011 a déjà été "
                                            "déposée en 2025", "number")]


@pytest.mark.parametrize("own_code, sent_code, rule", [
    ("DEST_INC", "DEST_INC", "ROUTE-01"),
    ("REJ_HAB", "REJ_CONT_B2G", "DEP-01"),
    ("DEST_ERR", "REJ_CONT_B2G", "ROUTE-02"),
    ("SE_ERR", "REJ_CONT_B2G", "ROUTE-03"),
    ("CMD_EJ_ERR", "REJ_CONT_B2G", "ROUTE-06"),
    ("SIRET_ERR", "REJ_SEMAN", "FR-SUP-01"),
])
def test_routing_refusals_send_a_reason_the_schematron_accepts(own_code, sent_code, rule):
    invoice, event = rejected(own_code, [make_finding(rule, f"Refus {rule}", field="buyer.identifiers")])
    message = status_message(invoice, event)

    assert_valid(message)
    assert text(message, f"{DETAIL}/ram:ReasonCode") == sent_code
    found = notes(message)
    if own_code == sent_code:
        assert found == [(rule, f"Refus {rule}", "buyer.identifiers")]
    else:  # our own code is kept in a first note
        assert found[0][0] == own_code and sent_code in found[0][1] and found[0][2] is None
        assert found[1:] == [(rule, f"Refus {rule}", "buyer.identifiers")]


def test_rejection_without_a_reason_code_is_a_semantic_rejection():
    invoice, event = rejected(None, [make_finding("XSD", "Le document n'est pas conforme au schéma UBL")])
    message = status_message(invoice, event)

    assert_valid(message)
    assert text(message, f"{DETAIL}/ram:ReasonCode") == "REJ_SEMAN"


def test_credit_note():
    invoice = make_invoice(number="AV-2025-0007", type_code="381", document_family="credit-note")
    message = status_message(invoice, make_event("200"))

    assert_valid(message)
    assert text(message, f"{REFERENCED}/ram:TypeCode") == "381"
    assert text(message, f"{REFERENCED}/ram:IssuerAssignedID") == "AV-2025-0007"


def test_foreign_supplier_with_a_vat_number_has_no_siren():
    invoice = make_invoice(supplier_id="DE136695976")
    message = status_message(invoice, make_event("200"))

    assert_valid(message)
    assert seller_siren("DE136695976") is None
    assert global_ids(message, f"{REFERENCED}/ram:IssuerTradeParty") == {"0223": "DE136695976"}
    assert global_ids(message, "//rsm:ExchangedDocument/ram:RecipientTradeParty") == {"0223": "DE136695976"}


def test_french_vat_number_gives_its_siren():
    message = status_message(make_invoice(supplier_id="FR40303265045"), make_event("200"))

    assert_valid(message)
    assert seller_siren("FR40303265045") == "303265045"
    assert global_ids(message, f"{REFERENCED}/ram:IssuerTradeParty") == {"0002": "303265045",
                                                                          "0223": "FR40303265045"}


@pytest.mark.parametrize("supplier_id, expected", [
    (SUPPLIER_SIRET, "324567890"), ("324567890", "324567890"), ("FR40303265045", "303265045"),
    ("DE136695976", None), ("GBACME LIMITED", None), (None, None), ("", None),
])
def test_seller_siren(supplier_id, expected):
    assert seller_siren(supplier_id) == expected


def test_unreadable_invoice_is_rejected_with_what_is_known():
    invoice, event = rejected("REJ_SEMAN", [make_finding("XML-SYNTAX", "XML mal formé : balise non fermée",
                                                         location="lot-mars.zip!facture-1.xml")],
                              number=None, issue_date=None, type_code=None, supplier_id=None, recipient_id=None,
                              format="unreadable")
    message = status_message(invoice, event)

    assert_valid(message)
    assert text(message, f"{REFERENCED}/ram:IssuerAssignedID") == "lot-mars.zip!facture-1.xml#1"
    assert text(message, f"{REFERENCED}/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20250314"
    assert text(message, f"{REFERENCED}/ram:TypeCode") is None
    assert texts(message, f"{REFERENCED}/ram:IssuerTradeParty") == []


def test_type_code_outside_the_schematron_list_is_left_out():
    message = status_message(make_invoice(type_code="326"), make_event("200"))

    assert_valid(message)
    assert text(message, f"{REFERENCED}/ram:TypeCode") is None


def test_only_the_gateway_statuses_are_sent():
    with pytest.raises(ValueError, match="210"):
        status_message(make_invoice(), make_event("210", "AUTRE"))


# -- flows ----------------------------------------------------------------------------------------------------------
def test_irrecevable_flow():
    batch = make_batch(flow_status="IN_REJETE", reason_code="IRR_SYNTAX", reason="Not well-formed XML: line 3",
                       reason_fr="XML mal formé : ligne 3", invoice_count=0, accepted_count=0, rejected_count=0)
    message = flow_message(batch)

    assert_valid(message)
    assert text(message, "//rsm:ExchangedDocument/ram:ID") == f"{BATCH_ID}-0-501"
    assert text(message, f"{REFERENCED}/ram:IssuerAssignedID") == BATCH_ID
    assert text(message, f"{REFERENCED}/ram:ProcessConditionCode") == "501"
    assert text(message, f"{REFERENCED}/ram:TypeCode") is None  # 303 (flow) is refused by BR-FR-04
    assert text(message, f"{DETAIL}/ram:ReasonCode") == "IRR_SYNTAX"
    assert text(message, f"{DETAIL}/ram:Reason") == "XML mal formé : ligne 3"
    assert notes(message) == []
    assert texts(message, f"{REFERENCED}/ram:IssuerTradeParty") == []


@pytest.mark.parametrize("own_code, sent_code", [
    ("IRR_VIDE", "IRR_VIDE_F"), ("IRR_TYPE", "IRR_TYPE_F"), ("IRR_TAILLE", "IRR_TAILLE_F"),
    ("IRR_EXTRAC", "IRR_TYPE_F"), ("IRR_UNICITE", "IRR_NOM_F"), ("IRR_NOM_F", "IRR_NOM_F"),
])
def test_irrecevability_codes_are_mapped_and_kept_in_a_note(own_code, sent_code):
    message = flow_message(make_batch(flow_status="IN_REJETE", reason_code=own_code, reason_fr="Flux illisible"))

    assert_valid(message)
    assert text(message, f"{DETAIL}/ram:ReasonCode") == sent_code
    assert [code for code, _, _ in notes(message)] == ([] if own_code == sent_code else [own_code])


def test_recevable_flow():
    message = flow_message(make_batch())

    assert_valid(message)
    assert text(message, f"{REFERENCED}/ram:ProcessConditionCode") == "500"
    assert text(message, f"{REFERENCED}/ram:ProcessCondition") == "Recevable"
    assert text(message, f"{REFERENCED}/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20250314"
    assert texts(message, DETAIL) == []


# -- validation can fail; messages are reproducible -----------------------------------------------------------------
def test_a_message_without_its_status_code_is_reported():
    invoice, event = rejected("REJ_SEMAN", [make_finding("BR-16", "La facture n'a aucune ligne")])
    root = etree.fromstring(status_message(invoice, event))
    status = root.find(f".//{{{NS['ram']}}}ProcessConditionCode")
    status.getparent().remove(status)
    problems = validate_cdar(etree.tostring(root))

    assert any(problem.startswith("BR-FR-CDV-12") for problem in problems)


def test_xsd_and_xml_problems_are_reported():
    message = status_message(make_invoice(), make_event("200"))
    broken = message.replace(b"<udt:Indicator>false</udt:Indicator>", b"<udt:Indicator>non</udt:Indicator>")

    assert [problem for problem in validate_cdar(broken) if problem.startswith("XSD:")]
    assert validate_cdar(message[:200])[0].startswith("XML:")


def test_messages_are_deterministic():
    def build() -> tuple[bytes, bytes]:
        invoice, event = rejected("SE_ERR", [make_finding("ROUTE-03", "Code service absent", field="buyer_ref")])
        batch = make_batch(reason_code="IRR_VIDE", reason_fr="Fichier vide")
        return status_message(invoice, event), flow_message(batch)

    assert build() == build()


def test_message_ids_are_short_and_stable():
    assert cdar_message_id(BATCH_ID, 12, "213") == f"{BATCH_ID}-12-213"
    long_id = cdar_message_id("X" * 40 + " lot n°1", 12345, "213")
    assert long_id == cdar_message_id("X" * 40 + " lot n°1", 12345, "213")
    assert len(long_id) <= MESSAGE_ID_MAX_LENGTH and re.fullmatch(r"[A-Za-z0-9+\-_/]+", long_id)
    assert long_id != cdar_message_id("X" * 40 + " lot n°2", 12345, "213")


def test_times_are_written_in_utc_and_naive_times_read_as_utc():
    from zoneinfo import ZoneInfo

    paris = ISSUED_AT.astimezone(ZoneInfo("Europe/Paris"))
    naive = ISSUED_AT.replace(tzinfo=None)
    batch = make_batch()
    messages = {invoice_status_message(batch, make_invoice(), make_event("200"), message_id="M-1", issued_at=moment)
                for moment in (ISSUED_AT, paris, naive)}

    assert len(messages) == 1
    assert text(messages.pop(), "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20250314093112"


def test_any_text_is_written_as_xml_text_and_read_back_as_it_was():
    """Values come from deposited files: markup characters, quotes, carriage returns and characters XML forbids
    (written as their escape, `\\x07`) in the invoice number, the depositor's address and a finding's message."""
    hostile = "A&B <c> \"d\" 'e' f\r\ng\tend"
    invoice, event = rejected("REJ_SEMAN", [make_finding("BR-01", f"{hostile} \x07", location='/Invoice/cbc:ID[@x="1"]')],
                              number=hostile)
    message = status_message(invoice, event, make_batch(depositor="cabinet\x1b & fils"))

    assert_valid(message)
    assert text(message, f"{REFERENCED}/ram:IssuerAssignedID") == hostile
    assert text(message, "//rsm:ExchangedDocument/ram:RecipientTradeParty/ram:URIUniversalCommunication/ram:URIID"
                ) == "cabinet\\x1b & fils"
    assert notes(message) == [("BR-01", f"{hostile} \\x07", '/Invoice/cbc:ID[@x="1"]')]
