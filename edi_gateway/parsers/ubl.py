"""UBL 2.1 Invoice and CreditNote (OASIS), as profiled by EN 16931 (CEN/TS 16931-3-2), into the model."""

from __future__ import annotations

from ..model import (
    Address, AllowanceCharge, Attachment, CreditTransfer, Delivery, DocumentFormat, Finding, Invoice, ItemAttribute,
    Line, Origin, Party, PaymentMeans, PaymentTerms, Period, PrecedingInvoice, Totals, VatBreakdown,
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
    doc = XmlReader(root, NS, invoice.locations, findings, f"/{kind}", currencies=invoice.amount_currencies,
                    bare_schemes=invoice.bare_schemes)

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
    invoice.sales_order = doc.text("cac:OrderReference/cbc:SalesOrderID", "sales_order")
    invoice.receiving_advice = doc.text("cac:ReceiptDocumentReference/cbc:ID", "receiving_advice")
    invoice.despatch_advice = doc.text("cac:DespatchDocumentReference/cbc:ID", "despatch_advice")
    invoice.tender_reference = doc.text("cac:OriginatorDocumentReference/cbc:ID", "tender_reference")
    invoice.invoiced_object = doc.identifier(f"{_INVOICED_OBJECT}/cbc:ID", "invoiced_object")
    invoice.buyer_accounting_ref = doc.text("cbc:AccountingCost", "buyer_accounting_ref")
    invoice.preceding_invoices = [
        _preceding(doc.child(el, f"/{kind}/cac:BillingReference[{i + 1}]", f"preceding_invoices[{i}]."))
        for i, el in enumerate(doc.all("cac:BillingReference"))
    ]
    if invoice.preceding_invoices:
        invoice.preceding_invoice = invoice.preceding_invoices[0].number
        invoice.preceding_invoice_date = invoice.preceding_invoices[0].issue_date
        _alias(invoice, "preceding_invoices[0].number", "preceding_invoice")
        _alias(invoice, "preceding_invoices[0].issue_date", "preceding_invoice_date")
    invoice.notes = doc.texts("cbc:Note")
    if doc.has("cac:InvoicePeriod"):
        invoice.invoicing_period = _period(doc, "cac:InvoicePeriod", "invoicing_period")
        invoice.tax_point_date_code = doc.text("cac:InvoicePeriod/cbc:DescriptionCode", "tax_point_date_code")
    if doc.has("cac:Delivery"):
        invoice.delivery = _delivery(doc.child(doc.node("cac:Delivery"), f"/{kind}/cac:Delivery", "delivery."))

    invoice.seller = _party(doc, "cac:AccountingSupplierParty/cac:Party", "seller")
    invoice.buyer = _party(doc, "cac:AccountingCustomerParty/cac:Party", "buyer")
    if doc.node("cac:PayeeParty") is not None:
        invoice.payee = _party(doc, "cac:PayeeParty", "payee", name_path=_PARTY_NAME)
    if doc.node("cac:BuyerCustomerParty/cac:Party") is not None:
        invoice.project_manager = _party(doc, "cac:BuyerCustomerParty/cac:Party", "project_manager")
    if doc.node("cac:TaxRepresentativeParty") is not None:
        invoice.seller_tax_representative = _party(doc, "cac:TaxRepresentativeParty", "seller_tax_representative",
                                                   name_path=_PARTY_NAME)

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
    invoice.attachments = [
        _attachment(doc.child(el, f"/{kind}/cac:AdditionalDocumentReference[{i + 1}]", f"attachments[{i}]."))
        for i, el in enumerate(doc.all("cac:AdditionalDocumentReference"))
        if (el.findtext("cbc:DocumentTypeCode", namespaces=NS) or "").strip() != INVOICED_OBJECT_TYPE
    ]
    return invoice


INVOICED_OBJECT_TYPE = "130"  # an AdditionalDocumentReference with this type code carries BT-18, not BG-24
_INVOICED_OBJECT = f"cac:AdditionalDocumentReference[cbc:DocumentTypeCode='{INVOICED_OBJECT_TYPE}']"
_LEGAL_NAME = "cac:PartyLegalEntity/cbc:RegistrationName"
_PARTY_NAME = "cac:PartyName/cbc:Name"  # the payee's (BT-59) and the tax representative's (BT-62) name


def _alias(invoice: Invoice, source: str, alias: str) -> None:
    if source in invoice.locations:
        invoice.locations[alias] = invoice.locations[source]


def _preceding(ref: XmlReader) -> PrecedingInvoice:
    return PrecedingInvoice(number=ref.text("cac:InvoiceDocumentReference/cbc:ID", "number"),
                            issue_date=ref.date("cac:InvoiceDocumentReference/cbc:IssueDate", "issue_date"))


def _period(reader: XmlReader, path: str, field: str) -> Period:
    return Period(start=reader.date(f"{path}/cbc:StartDate", f"{field}.start"),
                  end=reader.date(f"{path}/cbc:EndDate", f"{field}.end"))


def _address(reader: XmlReader, path: str, field: str) -> Address:
    return Address(
        present=reader.has(path),
        line1=reader.text(f"{path}/cbc:StreetName", f"{field}.line1"),
        line2=reader.text(f"{path}/cbc:AdditionalStreetName", f"{field}.line2"),
        city=reader.text(f"{path}/cbc:CityName", f"{field}.city"),
        postcode=reader.text(f"{path}/cbc:PostalZone", f"{field}.postcode"),
        country=reader.text(f"{path}/cac:Country/cbc:IdentificationCode", f"{field}.country"),
    )


def _delivery(delivery: XmlReader) -> Delivery:
    location = "cac:DeliveryLocation"
    return Delivery(
        name=delivery.text("cac:DeliveryParty/cac:PartyName/cbc:Name", "name"),
        location_id=delivery.identifier(f"{location}/cbc:ID", "location_id"),
        date=delivery.date("cbc:ActualDeliveryDate", "date"),
        address=_address(delivery, f"{location}/cac:Address", "address")
        if delivery.has(f"{location}/cac:Address") else None,
    )


def _party(doc: XmlReader, path: str, field: str, name_path: str = _LEGAL_NAME) -> Party:
    el = doc.node(path)
    if el is None:
        return Party()
    party = doc.child(el, f"{doc.base}/{path}", f"{field}.")
    vat_id, tax_registration_id = _tax_schemes(party)
    return Party(
        name=party.text(name_path, "name"),
        trading_name=party.text(_PARTY_NAME, "trading_name") if name_path == _LEGAL_NAME else None,
        identifiers=party.identifiers("cac:PartyIdentification/cbc:ID", "identifiers"),
        legal_id=party.identifier("cac:PartyLegalEntity/cbc:CompanyID", "legal_id"),
        vat_id=vat_id,
        tax_registration_id=tax_registration_id,
        legal_info=party.text("cac:PartyLegalEntity/cbc:CompanyLegalForm", "legal_info"),
        address=_address(party, "cac:PostalAddress", "address"),
        electronic_address=party.identifier("cbc:EndpointID", "electronic_address"),
    )


def _tax_schemes(party: XmlReader) -> tuple[str | None, str | None]:
    """BT-31 / BT-48 / BT-63, the CompanyID of the PartyTaxScheme whose scheme is VAT, and BT-32 (any other)."""
    vat_id = tax_registration_id = None
    for position, scheme in enumerate(party.all("cac:PartyTaxScheme")):
        scheme_reader = party.child(scheme, f"{party.base}/cac:PartyTaxScheme[{position + 1}]", party.prefix)
        if (scheme.findtext("cac:TaxScheme/cbc:ID", namespaces=NS) or "").strip() == "VAT":
            vat_id = vat_id or scheme_reader.text("cbc:CompanyID", "vat_id")
        else:
            tax_registration_id = tax_registration_id or scheme_reader.text("cbc:CompanyID", "tax_registration_id")
    return vat_id, tax_registration_id


def _payment(doc: XmlReader, is_credit_note: bool) -> PaymentTerms:
    due_path = "cac:PaymentMeans/cbc:PaymentDueDate" if is_credit_note else "cbc:DueDate"
    return PaymentTerms(
        note=doc.text("cac:PaymentTerms/cbc:Note", "payment.note"),
        due_date=doc.date(due_path, "payment.due_date"),
        means=[_payment_means(doc.child(el, f"{doc.base}/cac:PaymentMeans[{i + 1}]", f"payment.means[{i}]."))
               for i, el in enumerate(doc.all("cac:PaymentMeans"))],
    )


def _payment_means(means: XmlReader) -> PaymentMeans:
    mandate = "cac:PaymentMandate"
    return PaymentMeans(
        code=means.text("cbc:PaymentMeansCode", "code"),
        text=means.attribute("cbc:PaymentMeansCode", "name"),
        remittance=means.text("cbc:PaymentID", "remittance"),
        transfers=[
            CreditTransfer(
                account=account.text("cbc:ID", "account"),
                name=account.text("cbc:Name", "name"),
                bic=account.text("cac:FinancialInstitutionBranch/cbc:ID", "bic"),
            )
            for account in (
                means.child(el, f"{means.base}/cac:PayeeFinancialAccount[{i + 1}]", f"{means.prefix}transfers[{i}].")
                for i, el in enumerate(means.all("cac:PayeeFinancialAccount"))
            )
        ],
        has_card=means.has("cac:CardAccount"),
        card_pan=means.text("cac:CardAccount/cbc:PrimaryAccountNumberID", "card_pan"),
        card_holder=means.text("cac:CardAccount/cbc:HolderName", "card_holder"),
        mandate=means.text(f"{mandate}/cbc:ID", "mandate"),
        debited_account=means.text(f"{mandate}/cac:PayerFinancialAccount/cbc:ID", "debited_account"),
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
    totals.present = doc.has("cac:LegalMonetaryTotal")
    totals.line_net = doc.amount(m + "LineExtensionAmount", "totals.line_net")
    totals.allowances = doc.amount(m + "AllowanceTotalAmount", "totals.allowances")
    totals.charges = doc.amount(m + "ChargeTotalAmount", "totals.charges")
    totals.tax_exclusive = doc.amount(m + "TaxExclusiveAmount", "totals.tax_exclusive")
    totals.tax_inclusive = doc.amount(m + "TaxInclusiveAmount", "totals.tax_inclusive")
    totals.prepaid = doc.amount(m + "PrepaidAmount", "totals.prepaid")
    totals.rounding = doc.amount(m + "PayableRoundingAmount", "totals.rounding")
    totals.payable = doc.amount(m + "PayableAmount", "totals.payable")


def _line(line: XmlReader, quantity_tag: str) -> Line:
    item = "cac:Item/"
    return Line(
        id=line.text("cbc:ID", "id"),
        note=line.text("cbc:Note", "note"),
        object_id=line.identifier("cac:DocumentReference[cbc:DocumentTypeCode='130']/cbc:ID", "object_id"),
        quantity=line.amount(quantity_tag, "quantity"),
        unit_code=line.attribute(quantity_tag, "unitCode"),
        net_amount=line.amount("cbc:LineExtensionAmount", "net_amount"),
        order_line_ref=line.text("cac:OrderLineReference/cbc:LineID", "order_line_ref"),
        buyer_accounting_ref=line.text("cbc:AccountingCost", "buyer_accounting_ref"),
        period=_period(line, "cac:InvoicePeriod", "period") if line.has("cac:InvoicePeriod") else None,
        net_price=line.amount("cac:Price/cbc:PriceAmount", "net_price"),
        price_discount=line.amount("cac:Price/cac:AllowanceCharge/cbc:Amount", "price_discount"),
        gross_price=line.amount("cac:Price/cac:AllowanceCharge/cbc:BaseAmount", "gross_price"),
        price_base_quantity=line.amount("cac:Price/cbc:BaseQuantity", "price_base_quantity"),
        price_base_unit_code=line.attribute("cac:Price/cbc:BaseQuantity", "unitCode"),
        vat_category=line.text(item + "cac:ClassifiedTaxCategory/cbc:ID", "vat_category"),
        vat_rate=line.amount(item + "cac:ClassifiedTaxCategory/cbc:Percent", "vat_rate"),
        name=line.text(item + "cbc:Name", "name"),
        description=line.text(item + "cbc:Description", "description"),
        seller_item_id=line.text(item + "cac:SellersItemIdentification/cbc:ID", "seller_item_id"),
        buyer_item_id=line.text(item + "cac:BuyersItemIdentification/cbc:ID", "buyer_item_id"),
        standard_item_id=line.identifier(item + "cac:StandardItemIdentification/cbc:ID", "standard_item_id"),
        classifications=line.identifiers(item + "cac:CommodityClassification/cbc:ItemClassificationCode",
                                         "classifications", scheme_attr="listID"),
        origin_country=line.text(item + "cac:OriginCountry/cbc:IdentificationCode", "origin_country"),
        attributes=[
            ItemAttribute(name=attribute.text("cbc:Name", "name"), value=attribute.text("cbc:Value", "value"))
            for attribute in (
                line.child(el, f"{line.base}/{item}cac:AdditionalItemProperty[{i + 1}]", f"{line.prefix}attributes[{i}].")
                for i, el in enumerate(line.all(item + "cac:AdditionalItemProperty"))
            )
        ],
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
