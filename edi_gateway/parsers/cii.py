"""UN/CEFACT Cross Industry Invoice (D16B, D22B; every Factur-X / ZUGFeRD 2 profile) into the model.

The Factur-X profiles MINIMUM, BASIC WL, BASIC, EN 16931 and EXTENDED are subsets of one CII structure, so one
reader serves them all: a profile simply leaves more of the model empty. BT-24 (the guideline identifier) tells
the profile; the validators use it to choose the XSD.
"""

from __future__ import annotations

from ..model import (
    Address, AllowanceCharge, Attachment, DocumentFormat, Finding, Invoice, Line, Origin, Party,
    PaymentTerms, VatBreakdown,
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
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_BASE = "/rsm:CrossIndustryInvoice"


def read_cii(root, origin: Origin, findings: list[Finding]) -> Invoice:
    """Fill an Invoice from a rsm:CrossIndustryInvoice root element."""
    invoice = Invoice(DocumentFormat.CII, origin)
    doc = XmlReader(root, NS, invoice.locations, findings, _BASE)
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
    invoice.seller = _party(doc, f"{_AGREEMENT}/ram:SellerTradeParty", "seller")
    invoice.buyer = _party(doc, f"{_AGREEMENT}/ram:BuyerTradeParty", "buyer")
    if doc.node(f"{_AGREEMENT}/ram:SellerTaxRepresentativeTradeParty") is not None:
        invoice.seller_tax_representative = _party(
            doc, f"{_AGREEMENT}/ram:SellerTaxRepresentativeTradeParty", "seller_tax_representative")
    if doc.node(f"{_SETTLEMENT}/ram:PayeeTradeParty") is not None:
        invoice.payee = _party(doc, f"{_SETTLEMENT}/ram:PayeeTradeParty", "payee")
    invoice.attachments = [
        _attachment(doc.child(el, f"{_BASE}/{_AGREEMENT}/ram:AdditionalReferencedDocument[{i + 1}]",
                              f"attachments[{i}]."))
        for i, el in enumerate(doc.all(f"{_AGREEMENT}/ram:AdditionalReferencedDocument[ram:TypeCode='916']"))
    ]

    invoice.currency = doc.text(f"{_SETTLEMENT}/ram:InvoiceCurrencyCode", "currency")
    invoice.tax_currency = doc.text(f"{_SETTLEMENT}/ram:TaxCurrencyCode", "tax_currency")
    invoice.preceding_invoice = doc.text(f"{_SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                                         "preceding_invoice")
    invoice.preceding_invoice_date = doc.date(
        f"{_SETTLEMENT}/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString",
        "preceding_invoice_date", compact=True)
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
        address=Address(
            line1=party.text("ram:PostalTradeAddress/ram:LineOne", "address.line1"),
            line2=party.text("ram:PostalTradeAddress/ram:LineTwo", "address.line2"),
            city=party.text("ram:PostalTradeAddress/ram:CityName", "address.city"),
            postcode=party.text("ram:PostalTradeAddress/ram:PostcodeCode", "address.postcode"),
            country=party.text("ram:PostalTradeAddress/ram:CountryID", "address.country"),
        ),
        electronic_address=party.identifier("ram:URIUniversalCommunication/ram:URIID", "electronic_address"),
    )


def _payment(doc: XmlReader) -> PaymentTerms:
    means = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    terms = f"{_SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
    return PaymentTerms(
        note=doc.text(f"{terms}/ram:Description", "payment.note"),
        due_date=doc.date(f"{terms}/ram:DueDateDateTime/udt:DateTimeString", "payment.due_date", compact=True),
        means_code=doc.text(f"{means}/ram:TypeCode", "payment.means_code"),
        iban=doc.text(f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID", "payment.iban"),
        remittance=doc.text(f"{_SETTLEMENT}/ram:PaymentReference", "payment.remittance"),
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
        if is_accounting:
            totals.tax_accounting = value
        else:
            totals.tax = value


def _line(line: XmlReader) -> Line:
    agreement = "ram:SpecifiedLineTradeAgreement"
    settlement = "ram:SpecifiedLineTradeSettlement"
    quantity_el = line.node("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    return Line(
        id=line.text("ram:AssociatedDocumentLineDocument/ram:LineID", "id"),
        quantity=line.amount("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "quantity"),
        unit_code=quantity_el.get("unitCode") if quantity_el is not None else None,
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
