"""UBL 2.1 Invoice and CreditNote (OASIS), as profiled by EN 16931 (CEN/TS 16931-3-2), into the model."""

from __future__ import annotations

from ..model import (
    Address, AllowanceCharge, Attachment, DocumentFormat, Finding, Invoice, Line, Origin, Party, PaymentTerms,
    Totals, VatBreakdown,
)
from .xml import XmlReader

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def read_ubl(root, origin: Origin, findings: list[Finding]) -> Invoice:
    """Fill an Invoice from a UBL Invoice or CreditNote root element."""
    is_credit_note = root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
    kind = "CreditNote" if is_credit_note else "Invoice"
    invoice = Invoice(DocumentFormat.UBL_CREDIT_NOTE if is_credit_note else DocumentFormat.UBL_INVOICE, origin)
    doc = XmlReader(root, NS, invoice.locations, findings, f"/{kind}")

    invoice.profile = doc.text("cbc:CustomizationID", "profile")
    invoice.business_process = doc.text("cbc:ProfileID", "business_process")
    invoice.number = doc.text("cbc:ID", "number")
    invoice.issue_date = doc.date("cbc:IssueDate", "issue_date")
    invoice.type_code = doc.text(f"cbc:{kind}TypeCode", "type_code")
    invoice.currency = doc.text("cbc:DocumentCurrencyCode", "currency")
    invoice.tax_currency = doc.text("cbc:TaxCurrencyCode", "tax_currency")
    invoice.tax_point_date = doc.date("cbc:TaxPointDate", "tax_point_date")
    invoice.buyer_reference = doc.text("cbc:BuyerReference", "buyer_reference")
    invoice.project_reference = doc.text("cac:ProjectReference/cbc:ID", "project_reference")
    invoice.contract_reference = doc.text("cac:ContractDocumentReference/cbc:ID", "contract_reference")
    invoice.purchase_order = doc.text("cac:OrderReference/cbc:ID", "purchase_order")
    invoice.preceding_invoice = doc.text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", "preceding_invoice")
    invoice.preceding_invoice_date = doc.date(
        "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate", "preceding_invoice_date")
    invoice.notes = doc.texts("cbc:Note")

    invoice.seller = _party(doc, "cac:AccountingSupplierParty/cac:Party", "seller")
    invoice.buyer = _party(doc, "cac:AccountingCustomerParty/cac:Party", "buyer")
    if doc.node("cac:PayeeParty") is not None:
        invoice.payee = _party(doc, "cac:PayeeParty", "payee")
    if doc.node("cac:TaxRepresentativeParty") is not None:
        invoice.seller_tax_representative = _party(doc, "cac:TaxRepresentativeParty", "seller_tax_representative")

    invoice.payment = _payment(doc, is_credit_note)
    invoice.allowances_charges = [
        _allowance_charge(doc.child(el, f"/{kind}/cac:AllowanceCharge[{i + 1}]", f"allowances_charges[{i}]."))
        for i, el in enumerate(doc.all("cac:AllowanceCharge"))
    ]
    invoice.vat_breakdown, invoice.totals.tax, invoice.totals.tax_accounting = _taxes(doc, invoice, kind)
    _totals(doc, invoice.totals)
    line_tag = "cac:CreditNoteLine" if is_credit_note else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if is_credit_note else "cbc:InvoicedQuantity"
    invoice.lines = [
        _line(doc.child(el, f"/{kind}/{line_tag}[{i + 1}]", f"lines[{i}]."), quantity_tag)
        for i, el in enumerate(doc.all(line_tag))
    ]
    invoice.attachments = [_attachment(doc.child(el, f"/{kind}/cac:AdditionalDocumentReference[{i + 1}]",
                                                 f"attachments[{i}]."))
                           for i, el in enumerate(doc.all("cac:AdditionalDocumentReference"))]
    return invoice


def _party(doc: XmlReader, path: str, field: str) -> Party:
    el = doc.node(path)
    if el is None:
        return Party()
    party = doc.child(el, f"{doc.base}/{path}", f"{field}.")
    return Party(
        name=party.text("cac:PartyLegalEntity/cbc:RegistrationName", "name"),
        trading_name=party.text("cac:PartyName/cbc:Name", "trading_name"),
        identifiers=party.identifiers("cac:PartyIdentification/cbc:ID", "identifiers"),
        legal_id=party.identifier("cac:PartyLegalEntity/cbc:CompanyID", "legal_id"),
        vat_id=_vat_id(party),
        address=Address(
            line1=party.text("cac:PostalAddress/cbc:StreetName", "address.line1"),
            line2=party.text("cac:PostalAddress/cbc:AdditionalStreetName", "address.line2"),
            city=party.text("cac:PostalAddress/cbc:CityName", "address.city"),
            postcode=party.text("cac:PostalAddress/cbc:PostalZone", "address.postcode"),
            country=party.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode", "address.country"),
        ),
        electronic_address=party.identifier("cbc:EndpointID", "electronic_address"),
    )


def _vat_id(party: XmlReader) -> str | None:
    """BT-31 / BT-48: the CompanyID of the PartyTaxScheme whose scheme is VAT (BT-32 uses another scheme)."""
    for position, scheme in enumerate(party.all("cac:PartyTaxScheme")):
        if (scheme.findtext("cac:TaxScheme/cbc:ID", namespaces=NS) or "").strip() == "VAT":
            scheme_reader = party.child(scheme, f"{party.base}/cac:PartyTaxScheme[{position + 1}]", party.prefix)
            return scheme_reader.text("cbc:CompanyID", "vat_id")
    return None


def _payment(doc: XmlReader, is_credit_note: bool) -> PaymentTerms:
    due_path = "cac:PaymentMeans/cbc:PaymentDueDate" if is_credit_note else "cbc:DueDate"
    return PaymentTerms(
        note=doc.text("cac:PaymentTerms/cbc:Note", "payment.note"),
        due_date=doc.date(due_path, "payment.due_date"),
        means_code=doc.text("cac:PaymentMeans/cbc:PaymentMeansCode", "payment.means_code"),
        iban=doc.text("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", "payment.iban"),
        remittance=doc.text("cac:PaymentMeans/cbc:PaymentID", "payment.remittance"),
    )


def _allowance_charge(ac: XmlReader) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(ac.text("cbc:ChargeIndicator", "is_charge") or "").lower() == "true",
        amount=ac.amount("cbc:Amount", "amount"),
        base_amount=ac.amount("cbc:BaseAmount", "base_amount"),
        percent=ac.amount("cbc:MultiplierFactorNumeric", "percent"),
        vat_category=ac.text("cac:TaxCategory/cbc:ID", "vat_category"),
        vat_rate=ac.amount("cac:TaxCategory/cbc:Percent", "vat_rate"),
        reason=ac.text("cbc:AllowanceChargeReason", "reason"),
        reason_code=ac.text("cbc:AllowanceChargeReasonCode", "reason_code"),
    )


def _taxes(doc: XmlReader, invoice: Invoice, kind: str):
    """VAT breakdown (BG-23) and the VAT totals: BT-110 in the document currency, BT-111 in the tax currency.

    A second cac:TaxTotal, whose amount is in the tax currency (BT-6), carries BT-111 and no breakdown.
    """
    breakdown, tax_total, tax_accounting = [], None, None
    separate_tax_currency = invoice.tax_currency not in (None, invoice.currency)
    for t, total_el in enumerate(doc.all("cac:TaxTotal")):
        total = doc.child(total_el, f"/{kind}/cac:TaxTotal[{t + 1}]", "")
        amount_el = total.node("cbc:TaxAmount")
        currency = amount_el.get("currencyID") if amount_el is not None else None
        if separate_tax_currency and currency == invoice.tax_currency:
            tax_accounting = total.amount("cbc:TaxAmount", "totals.tax_accounting")
            continue
        tax_total = total.amount("cbc:TaxAmount", "totals.tax")
        for s, sub_el in enumerate(total.all("cac:TaxSubtotal")):
            sub = total.child(sub_el, f"{total.base}/cac:TaxSubtotal[{s + 1}]", f"vat_breakdown[{len(breakdown)}].")
            breakdown.append(VatBreakdown(
                category=sub.text("cac:TaxCategory/cbc:ID", "category"),
                rate=sub.amount("cac:TaxCategory/cbc:Percent", "rate"),
                taxable_amount=sub.amount("cbc:TaxableAmount", "taxable_amount"),
                tax_amount=sub.amount("cbc:TaxAmount", "tax_amount"),
                exemption_reason=sub.text("cac:TaxCategory/cbc:TaxExemptionReason", "exemption_reason"),
                exemption_code=sub.text("cac:TaxCategory/cbc:TaxExemptionReasonCode", "exemption_code"),
            ))
    return breakdown, tax_total, tax_accounting


def _totals(doc: XmlReader, totals: Totals) -> None:
    m = "cac:LegalMonetaryTotal/cbc:"
    totals.line_net = doc.amount(m + "LineExtensionAmount", "totals.line_net")
    totals.allowances = doc.amount(m + "AllowanceTotalAmount", "totals.allowances")
    totals.charges = doc.amount(m + "ChargeTotalAmount", "totals.charges")
    totals.tax_exclusive = doc.amount(m + "TaxExclusiveAmount", "totals.tax_exclusive")
    totals.tax_inclusive = doc.amount(m + "TaxInclusiveAmount", "totals.tax_inclusive")
    totals.prepaid = doc.amount(m + "PrepaidAmount", "totals.prepaid")
    totals.rounding = doc.amount(m + "PayableRoundingAmount", "totals.rounding")
    totals.payable = doc.amount(m + "PayableAmount", "totals.payable")


def _line(line: XmlReader, quantity_tag: str) -> Line:
    quantity_el = line.node(quantity_tag)
    return Line(
        id=line.text("cbc:ID", "id"),
        quantity=line.amount(quantity_tag, "quantity"),
        unit_code=quantity_el.get("unitCode") if quantity_el is not None else None,
        net_amount=line.amount("cbc:LineExtensionAmount", "net_amount"),
        order_line_ref=line.text("cac:OrderLineReference/cbc:LineID", "order_line_ref"),
        net_price=line.amount("cac:Price/cbc:PriceAmount", "net_price"),
        price_discount=line.amount("cac:Price/cac:AllowanceCharge/cbc:Amount", "price_discount"),
        gross_price=line.amount("cac:Price/cac:AllowanceCharge/cbc:BaseAmount", "gross_price"),
        price_base_quantity=line.amount("cac:Price/cbc:BaseQuantity", "price_base_quantity"),
        vat_category=line.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "vat_category"),
        vat_rate=line.amount("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", "vat_rate"),
        name=line.text("cac:Item/cbc:Name", "name"),
        description=line.text("cac:Item/cbc:Description", "description"),
        seller_item_id=line.text("cac:Item/cac:SellersItemIdentification/cbc:ID", "seller_item_id"),
        allowances_charges=[
            _allowance_charge(line.child(el, f"{line.base}/cac:AllowanceCharge[{i + 1}]",
                                         f"{line.prefix}allowances_charges[{i}]."))
            for i, el in enumerate(line.all("cac:AllowanceCharge"))
        ],
    )


def _attachment(ref: XmlReader) -> Attachment:
    binary = ref.node("cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
    return Attachment(
        id=ref.text("cbc:ID", "id"),
        description=ref.text("cbc:DocumentDescription", "description"),
        uri=ref.text("cac:Attachment/cac:ExternalReference/cbc:URI", "uri"),
        filename=binary.get("filename") if binary is not None else None,
        mime_code=binary.get("mimeCode") if binary is not None else None,
        size=len(binary.text or "") * 3 // 4 if binary is not None else 0,
    )
