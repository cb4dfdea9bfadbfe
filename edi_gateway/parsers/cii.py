"""UN/CEFACT Cross Industry Invoice (D16B, D22B; every Factur-X / ZUGFeRD 2 profile) into the model.

The Factur-X profiles MINIMUM, BASIC WL, BASIC, EN 16931 and EXTENDED are subsets of one CII structure, so one
reader serves them all: a profile simply leaves more of the model empty. BT-24 (the guideline identifier) tells
the profile; the validators use it to choose the XSD.
"""

from __future__ import annotations

from ..model import (
    Address, AllowanceCharge, Attachment, CreditTransfer, Delivery, DocumentFormat, Finding, Invoice, ItemAttribute,
    Line, Origin, Party, PaymentMeans, PaymentTerms, Period, PrecedingInvoice, VatBreakdown,
)
from .xml import XmlReader

RSM_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS = {
    "rsm": RSM_NS,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
_AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_DELIVERY = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
INVOICED_OBJECT_TYPE = "130"  # AdditionalReferencedDocument type codes: 130 invoiced object (BT-18),
TENDER_TYPE = "50"  # 50 tender or lot reference (BT-17),
ATTACHMENT_TYPE = "916"  # 916 additional supporting document (BG-24)
_BASE = "/rsm:CrossIndustryInvoice"


def read_cii(root, origin: Origin, findings: list[Finding]) -> Invoice:
    """Fill an Invoice from a rsm:CrossIndustryInvoice root element."""
    invoice = Invoice(DocumentFormat.CII, origin)
    doc = XmlReader(root, NS, invoice.locations, findings, _BASE, currencies=invoice.amount_currencies,
                    bare_schemes=invoice.bare_schemes)
    context = "rsm:ExchangedDocumentContext/"
    invoice.profile = doc.text(context + "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", "profile")
    invoice.business_process = doc.text(
        context + "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", "business_process")
    invoice.number = doc.text("rsm:ExchangedDocument/ram:ID", "number")
    invoice.type_code = doc.text("rsm:ExchangedDocument/ram:TypeCode", "type_code")
    invoice.issue_date = doc.date("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "issue_date",
                                  compact=True)
    invoice.notes = doc.texts("rsm:ExchangedDocument/ram:IncludedNote/ram:Content")

    invoice.buyer_reference = doc.text(f"{_AGREEMENT}/ram:BuyerReference", "buyer_reference")
    invoice.purchase_order = doc.text(f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
                                      "purchase_order")
    invoice.contract_reference = doc.text(f"{_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID",
                                          "contract_reference")
    invoice.project_reference = doc.text(f"{_AGREEMENT}/ram:SpecifiedProcuringProject/ram:ID", "project_reference")
    invoice.sales_order = doc.text(f"{_AGREEMENT}/ram:SellerOrderReferencedDocument/ram:IssuerAssignedID",
                                   "sales_order")
    invoice.receiving_advice = doc.text(
        f"{_DELIVERY}/ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID", "receiving_advice")
    invoice.despatch_advice = doc.text(
        f"{_DELIVERY}/ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID", "despatch_advice")
    references = f"{_AGREEMENT}/ram:AdditionalReferencedDocument"
    invoice.tender_reference = doc.text(f"{references}[ram:TypeCode='{TENDER_TYPE}']/ram:IssuerAssignedID",
                                        "tender_reference")
    invoice.invoiced_object = doc.identifier(
        f"{references}[ram:TypeCode='{INVOICED_OBJECT_TYPE}']/ram:IssuerAssignedID", "invoiced_object",
        scheme_attr="ReferenceTypeCode")
    invoice.buyer_accounting_ref = doc.text(f"{_SETTLEMENT}/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
                                            "buyer_accounting_ref")
    if doc.has(f"{_DELIVERY}/ram:ShipToTradeParty") or doc.has(f"{_DELIVERY}/ram:ActualDeliverySupplyChainEvent"):
        invoice.delivery = _delivery(doc.child(doc.node(_DELIVERY), f"{_BASE}/{_DELIVERY}", "delivery."))
    invoice.seller = _party(doc, f"{_AGREEMENT}/ram:SellerTradeParty", "seller")
    invoice.buyer = _party(doc, f"{_AGREEMENT}/ram:BuyerTradeParty", "buyer")
    if doc.node(f"{_AGREEMENT}/ram:SellerTaxRepresentativeTradeParty") is not None:
        invoice.seller_tax_representative = _party(
            doc, f"{_AGREEMENT}/ram:SellerTaxRepresentativeTradeParty", "seller_tax_representative")
    if doc.node(f"{_AGREEMENT}/ram:BuyerAgentTradeParty") is not None:
        invoice.project_manager = _party(doc, f"{_AGREEMENT}/ram:BuyerAgentTradeParty", "project_manager")
    if doc.node(f"{_SETTLEMENT}/ram:PayeeTradeParty") is not None:
        invoice.payee = _party(doc, f"{_SETTLEMENT}/ram:PayeeTradeParty", "payee")
    invoice.attachments = [
        _attachment(doc.child(el, f"{_BASE}/{_AGREEMENT}/ram:AdditionalReferencedDocument[{i + 1}]",
                              f"attachments[{i}]."))
        for i, el in enumerate(doc.all(f"{references}[ram:TypeCode='{ATTACHMENT_TYPE}']"))
    ]

    invoice.currency = doc.text(f"{_SETTLEMENT}/ram:InvoiceCurrencyCode", "currency")
    invoice.tax_currency = doc.text(f"{_SETTLEMENT}/ram:TaxCurrencyCode", "tax_currency")
    invoice.preceding_invoices = [
        _preceding(doc.child(el, f"{_BASE}/{_SETTLEMENT}/ram:InvoiceReferencedDocument[{i + 1}]",
                             f"preceding_invoices[{i}]."))
        for i, el in enumerate(doc.all(f"{_SETTLEMENT}/ram:InvoiceReferencedDocument"))
    ]
    if invoice.preceding_invoices:
        invoice.preceding_invoice = invoice.preceding_invoices[0].number
        invoice.preceding_invoice_date = invoice.preceding_invoices[0].issue_date
        for field in ("number", "issue_date"):
            if f"preceding_invoices[0].{field}" in invoice.locations:
                alias = "preceding_invoice" if field == "number" else "preceding_invoice_date"
                invoice.locations[alias] = invoice.locations[f"preceding_invoices[0].{field}"]
    if doc.has(f"{_SETTLEMENT}/ram:BillingSpecifiedPeriod"):
        invoice.invoicing_period = _period(doc, f"{_SETTLEMENT}/ram:BillingSpecifiedPeriod", "invoicing_period")
    invoice.tax_point_date_code = doc.text(f"{_SETTLEMENT}/ram:ApplicableTradeTax/ram:DueDateTypeCode",
                                           "tax_point_date_code")
    invoice.payment = _payment(doc)
    invoice.allowances_charges = [
        _allowance_charge(doc.child(el, f"{_BASE}/{_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[{i + 1}]",
                                    f"allowances_charges[{i}]."))
        for i, el in enumerate(doc.all(f"{_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge"))
    ]
    invoice.vat_breakdown = [
        _vat(doc.child(el, f"{_BASE}/{_SETTLEMENT}/ram:ApplicableTradeTax[{i + 1}]", f"vat_breakdown[{i}]."))
        for i, el in enumerate(doc.all(f"{_SETTLEMENT}/ram:ApplicableTradeTax"))
    ]
    invoice.tax_point_date = doc.date(f"{_SETTLEMENT}/ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString",
                                      "tax_point_date", compact=True)
    _totals(doc, invoice)
    invoice.lines = [
        _line(doc.child(el, f"{_BASE}/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem[{i + 1}]",
                        f"lines[{i}]."))
        for i, el in enumerate(doc.all("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"))
    ]
    return invoice


def _party(doc: XmlReader, path: str, field: str) -> Party:
    el = doc.node(path)
    if el is None:
        return Party()
    party = doc.child(el, f"{_BASE}/{path}", f"{field}.")
    identifiers = party.identifiers("ram:ID", "identifiers")
    identifiers += party.identifiers("ram:GlobalID", "identifiers", start=len(identifiers))
    return Party(
        name=party.text("ram:Name", "name"),
        trading_name=party.text("ram:SpecifiedLegalOrganization/ram:TradingBusinessName", "trading_name"),
        identifiers=identifiers,
        legal_id=party.identifier("ram:SpecifiedLegalOrganization/ram:ID", "legal_id"),
        vat_id=party.text("ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", "vat_id"),
        tax_registration_id=party.text("ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']",
                                       "tax_registration_id"),
        legal_info=party.text("ram:Description", "legal_info"),
        address=_address(party, "ram:PostalTradeAddress", "address"),
        electronic_address=party.identifier("ram:URIUniversalCommunication/ram:URIID", "electronic_address"),
    )


def _address(reader: XmlReader, path: str, field: str) -> Address:
    return Address(
        present=reader.has(path),
        line1=reader.text(f"{path}/ram:LineOne", f"{field}.line1"),
        line2=reader.text(f"{path}/ram:LineTwo", f"{field}.line2"),
        city=reader.text(f"{path}/ram:CityName", f"{field}.city"),
        postcode=reader.text(f"{path}/ram:PostcodeCode", f"{field}.postcode"),
        country=reader.text(f"{path}/ram:CountryID", f"{field}.country"),
    )


def _period(reader: XmlReader, path: str, field: str) -> Period:
    return Period(
        start=reader.date(f"{path}/ram:StartDateTime/udt:DateTimeString", f"{field}.start", compact=True),
        end=reader.date(f"{path}/ram:EndDateTime/udt:DateTimeString", f"{field}.end", compact=True),
    )


def _preceding(ref: XmlReader) -> PrecedingInvoice:
    return PrecedingInvoice(
        number=ref.text("ram:IssuerAssignedID", "number"),
        issue_date=ref.date("ram:FormattedIssueDateTime/qdt:DateTimeString", "issue_date", compact=True),
    )


def _delivery(delivery: XmlReader) -> Delivery:
    party = "ram:ShipToTradeParty"
    location = delivery.identifier(f"{party}/ram:ID", "location_id") or delivery.identifier(
        f"{party}/ram:GlobalID", "location_id")
    return Delivery(
        name=delivery.text(f"{party}/ram:Name", "name"),
        location_id=location,
        date=delivery.date("ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString", "date",
                           compact=True),
        address=_address(delivery, f"{party}/ram:PostalTradeAddress", "address")
        if delivery.has(f"{party}/ram:PostalTradeAddress") else None,
    )


def _payment(doc: XmlReader) -> PaymentTerms:
    terms = f"{_SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
    remittance = doc.text(f"{_SETTLEMENT}/ram:PaymentReference", "payment.means[0].remittance")
    means = [
        _payment_means(doc.child(el, f"{_BASE}/{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans[{i + 1}]",
                                 f"payment.means[{i}]."), remittance)
        for i, el in enumerate(doc.all(f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"))
    ]
    mandate = doc.text(f"{terms}/ram:DirectDebitMandateID", "payment.means[0].mandate")
    if means and mandate:
        means[0].mandate = mandate
    return PaymentTerms(
        note=doc.text(f"{terms}/ram:Description", "payment.note"),
        due_date=doc.date(f"{terms}/ram:DueDateDateTime/udt:DateTimeString", "payment.due_date", compact=True),
        means=means,
        creditor_id=doc.text(f"{_SETTLEMENT}/ram:CreditorReferenceID", "payment.creditor_id"),
    )


def _payment_means(means: XmlReader, remittance: str | None) -> PaymentMeans:
    """One SpecifiedTradeSettlementPaymentMeans; the remittance information (BT-83) is document-level in CII."""
    card = "ram:ApplicableTradeSettlementFinancialCard"
    account = "ram:PayeePartyCreditorFinancialAccount"
    transfers = [
        CreditTransfer(
            account=reader.text("ram:IBANID", "account") or reader.text("ram:ProprietaryID", "account"),
            name=reader.text("ram:AccountName", "name"),
        )
        for reader in (
            means.child(el, f"{means.base}/{account}[{i + 1}]", f"{means.prefix}transfers[{i}].")
            for i, el in enumerate(means.all(account))
        )
    ]
    bic = means.text("ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID", "transfers[0].bic")
    if transfers and bic:
        transfers[0].bic = bic
    return PaymentMeans(
        code=means.text("ram:TypeCode", "code"),
        text=means.text("ram:Information", "text"),
        remittance=remittance,
        transfers=transfers,
        has_card=means.has(card),
        card_pan=means.text(f"{card}/ram:ID", "card_pan"),
        card_holder=means.text(f"{card}/ram:CardholderName", "card_holder"),
        debited_account=means.text("ram:PayerPartyDebtorFinancialAccount/ram:IBANID", "debited_account"),
    )


def _allowance_charge(ac: XmlReader) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(ac.text("ram:ChargeIndicator/udt:Indicator", "is_charge") or "").lower() == "true",
        amount=ac.amount("ram:ActualAmount", "amount"),
        base_amount=ac.amount("ram:BasisAmount", "base_amount"),
        percent=ac.amount("ram:CalculationPercent", "percent"),
        vat_category=ac.text("ram:CategoryTradeTax/ram:CategoryCode", "vat_category"),
        vat_rate=ac.amount("ram:CategoryTradeTax/ram:RateApplicablePercent", "vat_rate"),
        reason=ac.text("ram:Reason", "reason"),
        reason_code=ac.text("ram:ReasonCode", "reason_code"),
    )


def _vat(tax: XmlReader) -> VatBreakdown:
    return VatBreakdown(
        category=tax.text("ram:CategoryCode", "category"),
        rate=tax.amount("ram:RateApplicablePercent", "rate"),
        taxable_amount=tax.amount("ram:BasisAmount", "taxable_amount"),
        tax_amount=tax.amount("ram:CalculatedAmount", "tax_amount"),
        exemption_reason=tax.text("ram:ExemptionReason", "exemption_reason"),
        exemption_code=tax.text("ram:ExemptionReasonCode", "exemption_code"),
    )


def _totals(doc: XmlReader, invoice: Invoice) -> None:
    """BG-22. TaxTotalAmount appears once per currency: BT-110 in the invoice currency, BT-111 in the tax one."""
    totals, s = invoice.totals, _SUMMATION
    totals.present = doc.has(s)
    totals.line_net = doc.amount(f"{s}/ram:LineTotalAmount", "totals.line_net")
    totals.charges = doc.amount(f"{s}/ram:ChargeTotalAmount", "totals.charges")
    totals.allowances = doc.amount(f"{s}/ram:AllowanceTotalAmount", "totals.allowances")
    totals.tax_exclusive = doc.amount(f"{s}/ram:TaxBasisTotalAmount", "totals.tax_exclusive")
    totals.tax_inclusive = doc.amount(f"{s}/ram:GrandTotalAmount", "totals.tax_inclusive")
    totals.prepaid = doc.amount(f"{s}/ram:TotalPrepaidAmount", "totals.prepaid")
    totals.rounding = doc.amount(f"{s}/ram:RoundingAmount", "totals.rounding")
    totals.payable = doc.amount(f"{s}/ram:DuePayableAmount", "totals.payable")
    separate_tax_currency = invoice.tax_currency not in (None, invoice.currency)
    for position, el in enumerate(doc.all(f"{s}/ram:TaxTotalAmount")):
        is_accounting = separate_tax_currency and el.get("currencyID") == invoice.tax_currency
        field = "totals.tax_accounting" if is_accounting else "totals.tax"
        doc.locations[field] = f"{_BASE}/{s}/ram:TaxTotalAmount[{position + 1}] (line {el.sourceline})"
        value = doc.decimal_of(el.text or "", field)
        if el.get("currencyID") is not None:
            doc.currencies[field] = el.get("currencyID")
        if is_accounting:
            totals.tax_accounting = value
        else:
            totals.tax = value


def _line(line: XmlReader) -> Line:
    agreement = "ram:SpecifiedLineTradeAgreement"
    settlement = "ram:SpecifiedLineTradeSettlement"
    product = "ram:SpecifiedTradeProduct"
    quantity = "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"
    net_price = f"{agreement}/ram:NetPriceProductTradePrice"
    return Line(
        id=line.text("ram:AssociatedDocumentLineDocument/ram:LineID", "id"),
        note=line.text("ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content", "note"),
        object_id=line.identifier(
            f"{settlement}/ram:AdditionalReferencedDocument[ram:TypeCode='{INVOICED_OBJECT_TYPE}']/ram:IssuerAssignedID",
            "object_id", scheme_attr="ReferenceTypeCode"),
        quantity=line.amount(quantity, "quantity"),
        unit_code=line.attribute(quantity, "unitCode"),
        buyer_accounting_ref=line.text(f"{settlement}/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
                                       "buyer_accounting_ref"),
        period=_period(line, f"{settlement}/ram:BillingSpecifiedPeriod", "period")
        if line.has(f"{settlement}/ram:BillingSpecifiedPeriod") else None,
        price_base_unit_code=line.attribute(f"{net_price}/ram:BasisQuantity", "unitCode"),
        buyer_item_id=line.text(f"{product}/ram:BuyerAssignedID", "buyer_item_id"),
        standard_item_id=line.identifier(f"{product}/ram:GlobalID", "standard_item_id"),
        classifications=line.identifiers(f"{product}/ram:DesignatedProductClassification/ram:ClassCode",
                                         "classifications", scheme_attr="listID"),
        origin_country=line.text(f"{product}/ram:OriginTradeCountry/ram:ID", "origin_country"),
        attributes=[
            ItemAttribute(name=reader.text("ram:Description", "name"), value=reader.text("ram:Value", "value"))
            for reader in (
                line.child(el, f"{line.base}/{product}/ram:ApplicableProductCharacteristic[{i + 1}]",
                           f"{line.prefix}attributes[{i}].")
                for i, el in enumerate(line.all(f"{product}/ram:ApplicableProductCharacteristic"))
            )
        ],
        net_amount=line.amount(f"{settlement}/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                               "net_amount"),
        order_line_ref=line.text(f"{agreement}/ram:BuyerOrderReferencedDocument/ram:LineID", "order_line_ref"),
        net_price=line.amount(f"{agreement}/ram:NetPriceProductTradePrice/ram:ChargeAmount", "net_price"),
        price_discount=line.amount(
            f"{agreement}/ram:GrossPriceProductTradePrice/ram:AppliedTradeAllowanceCharge/ram:ActualAmount",
            "price_discount"),
        gross_price=line.amount(f"{agreement}/ram:GrossPriceProductTradePrice/ram:ChargeAmount", "gross_price"),
        price_base_quantity=line.amount(f"{agreement}/ram:NetPriceProductTradePrice/ram:BasisQuantity",
                                        "price_base_quantity"),
        vat_category=line.text(f"{settlement}/ram:ApplicableTradeTax/ram:CategoryCode", "vat_category"),
        vat_rate=line.amount(f"{settlement}/ram:ApplicableTradeTax/ram:RateApplicablePercent", "vat_rate"),
        name=line.text("ram:SpecifiedTradeProduct/ram:Name", "name"),
        description=line.text("ram:SpecifiedTradeProduct/ram:Description", "description"),
        seller_item_id=line.text("ram:SpecifiedTradeProduct/ram:SellerAssignedID", "seller_item_id"),
        allowances_charges=[
            _allowance_charge(line.child(el, f"{line.base}/{settlement}/ram:SpecifiedTradeAllowanceCharge[{i + 1}]",
                                         f"{line.prefix}allowances_charges[{i}]."))
            for i, el in enumerate(line.all(f"{settlement}/ram:SpecifiedTradeAllowanceCharge"))
        ],
    )


def _attachment(ref: XmlReader) -> Attachment:
    binary = ref.node("ram:AttachmentBinaryObject")
    return Attachment(
        id=ref.text("ram:IssuerAssignedID", "id"),
        description=ref.text("ram:Name", "description"),
        uri=ref.text("ram:URIID", "uri"),
        filename=binary.get("filename") if binary is not None else None,
        mime_code=binary.get("mimeCode") if binary is not None else None,
        size=len(binary.text or "") * 3 // 4 if binary is not None else 0,
    )
