#!/usr/bin/env python3
"""Regenerate the demo invoices in samples/ (everything except the two CSV files, written by hand).

    .venv/bin/python tools/make_samples.py

Fictitious French public-sector (B2G, Chorus Pro) invoices: four suppliers, three public recipients, UBL 2.1
invoices and a credit note, a CII (Factur-X EN 16931 profile) XML, Factur-X PDFs, a plain PDF without embedded
invoice, and a ZIP lot. Valid files pass every check of `edi-gateway validate`; the error files each carry one
typical mistake (see samples/README.md for the expected decisions and rule ids).

Deterministic: fixed dates, no randomness, fixed ZIP timestamps, fixed PDF identifiers and metadata dates; running
it twice gives byte-identical files. Needs only what the gateway already depends on (lxml, factur-x, pypdf).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import sys
import zipfile
from collections import OrderedDict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

EN16931 = "urn:cen.eu:en16931:2017"
BILLING_FRAME = "A1"  # cadre de facturation: dépôt par un fournisseur d'une facture
CENT = Decimal("0.01")

PAYMENT_TERMS = ("Paiement par virement à 30 jours à compter de la réception de la facture (délai global de "
                 "paiement). Intérêts moratoires : taux BCE + 8 points ; indemnité forfaitaire pour frais de "
                 "recouvrement : 40 EUR.")


# ----------------------------------------------------------------------------------------------------------------
# The fictitious universe
# ----------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Org:
    siret: str
    name: str
    street: str
    postcode: str
    city: str
    vat: str | None = None
    iban: str | None = None
    email: str | None = None
    phone: str | None = None
    short: str = ""

    @property
    def siren(self) -> str:
        return self.siret[:9]


DURAND = Org("32456789000011", "Bâtiments Durand SAS", "12 rue des Artisans", "69003", "Lyon",
             vat="FR28324567890", iban="FR7620041010050500607080145", email="facturation@batiments-durand.example",
             phone="04 78 00 12 34", short="Durand")
LEMOINE = Org("78190456000021", "Informatique Lemoine SARL", "5 quai de la Fosse", "44000", "Nantes",
              vat="FR37781904560", iban="FR7610278085000002034560182", email="compta@informatique-lemoine.example",
              phone="02 40 00 56 78", short="Lemoine")
MARTIN = Org("51234987900019", "Fournitures Bureau Martin", "27 rue Nationale", "59000", "Lille",
             vat="FR65512349879", iban="FR7630004003121234567890164", email="factures@fournitures-martin.example",
             phone="03 20 00 90 12", short="Martin")
NETTOYAGE = Org("44012378400033", "Nettoyage Services Ouest", "8 boulevard de la Liberté", "35000", "Rennes",
                vat="FR89440123784", iban="FR7630003012340005012345665", email="gestion@nettoyage-ouest.example",
                phone="02 99 00 34 56", short="NSO")

COMMUNE = Org("21713000400013", "Commune de Belleville-sur-Saône", "Place de l'Hôtel de Ville", "69220",
              "Belleville-sur-Saône")
DEPARTEMENT = Org("21300785900019", "Département du Val-Exemple", "1 avenue de la Préfecture", "30000",
                  "Val-Exemple")
SYNDICAT = Org("20069000600016", "Syndicat intercommunal des eaux de l'Exemple", "Route de la Station", "69220",
               "Saint-Exemple-sur-Saône")

ARCADE = Org("38291047900023", "Atelier Arcade Architectes", "14 rue de l'Observance", "30000", "Val-Exemple")
SAINT_EXEMPLE = Org("21690555400012", "Commune de Saint-Exemple-les-Vignes", "2 place de la Mairie", "69460",
                    "Saint-Exemple-les-Vignes")  # a real-looking SIRET the directory does not list

INVALID_SIRET = "32456789000012"  # Luhn check digit wrong; its SIREN 324567890 stays valid


# ----------------------------------------------------------------------------------------------------------------
# Invoices as data, amounts computed the EN 16931 way
# ----------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Item:
    name: str
    quantity: str
    unit: str  # UN/ECE Rec. 20: C62 unit, HUR hour, DAY day, MON month, MTR metre, MTK square metre, LS lump sum
    price: str
    rate: str
    ref: str | None = None
    description: str | None = None

    @property
    def net(self) -> Decimal:
        return money(Decimal(self.quantity) * Decimal(self.price))


@dataclasses.dataclass(frozen=True)
class Doc:
    number: str
    issued: date | None
    seller: Org
    buyer: Org
    items: tuple[Item, ...]
    due: date | None = None
    service: str | None = None
    engagement: str | None = None
    contract: str | None = None
    notes: tuple[str, ...] = ()
    credit_note: bool = False
    preceding: str | None = None
    preceding_date: date | None = None
    payment_terms: str = PAYMENT_TERMS
    seller_siret: str | None = None  # to deposit a wrong SIRET while keeping everything else
    frame: str = BILLING_FRAME  # BT-23, the billing frame
    project_manager: Org | None = None  # works frames: the maître d'œuvre, as UBL BuyerCustomerParty
    total_error: Decimal = Decimal(0)  # added to BT-112 and BT-115, to make a wrong-total sample

    @property
    def type_code(self) -> str:
        return "381" if self.credit_note else "380"

    @property
    def siret(self) -> str:
        return self.seller_siret or self.seller.siret

    def vat_groups(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, taxable amount, VAT amount) per rate, highest rate first."""
        bases: dict[Decimal, Decimal] = {}
        for item in self.items:
            rate = Decimal(item.rate)
            bases[rate] = bases.get(rate, Decimal(0)) + item.net
        return [(rate, base, money(base * rate / 100)) for rate, base in sorted(bases.items(), reverse=True)]

    @property
    def line_total(self) -> Decimal:
        return sum((item.net for item in self.items), Decimal(0))

    @property
    def tax_total(self) -> Decimal:
        return sum((vat for _rate, _base, vat in self.vat_groups()), Decimal(0))

    @property
    def grand_total(self) -> Decimal:
        return self.line_total + self.tax_total + self.total_error

    @property
    def payable(self) -> Decimal:
        return self.grand_total


def money(value: Decimal) -> Decimal:
    """Two decimals, half away from zero (the CEN schematron's round(x * 100) div 100 for positive amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def plain(value: str | Decimal) -> str:
    """A quantity or rate without trailing zeros: 12, 2.5, 5.5."""
    text = f"{Decimal(value).normalize():f}"
    return text


def french(value: Decimal) -> str:
    """1 234,56 for the printed PDF."""
    return f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",").replace("\u00a0", " ")


# ----------------------------------------------------------------------------------------------------------------
# UBL 2.1 (Invoice, CreditNote), element order of the OASIS schemas
# ----------------------------------------------------------------------------------------------------------------
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _el(parent, qname: str, text: str | None = None, ns: dict[str, str] = UBL_NS, **attrs):
    prefix, local = qname.split(":")
    element = etree.SubElement(parent, f"{{{ns[prefix]}}}{local}", {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def ubl(doc: Doc, drop_issue_date: bool = False) -> bytes:
    kind = "CreditNote" if doc.credit_note else "Invoice"
    root_ns = f"urn:oasis:names:specification:ubl:schema:xsd:{kind}-2"
    root = etree.Element(f"{{{root_ns}}}{kind}", nsmap={None: root_ns, **UBL_NS})
    e = _el
    e(root, "cbc:CustomizationID", EN16931)
    e(root, "cbc:ProfileID", doc.frame)
    e(root, "cbc:ID", doc.number)
    if doc.issued and not drop_issue_date:
        e(root, "cbc:IssueDate", doc.issued.isoformat())
    if doc.due and not doc.credit_note:
        e(root, "cbc:DueDate", doc.due.isoformat())
    e(root, f"cbc:{kind}TypeCode", doc.type_code)
    for note in doc.notes:
        e(root, "cbc:Note", note)
    e(root, "cbc:DocumentCurrencyCode", "EUR")
    if doc.service:
        e(root, "cbc:BuyerReference", doc.service)
    if doc.engagement:
        e(e(root, "cac:OrderReference"), "cbc:ID", doc.engagement)
    if doc.preceding:
        ref = e(e(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        e(ref, "cbc:ID", doc.preceding)
        if doc.preceding_date:
            e(ref, "cbc:IssueDate", doc.preceding_date.isoformat())
    if doc.contract:
        e(e(root, "cac:ContractDocumentReference"), "cbc:ID", doc.contract)

    _ubl_party(e(root, "cac:AccountingSupplierParty"), doc.seller, doc.siret, seller=True)
    _ubl_party(e(root, "cac:AccountingCustomerParty"), doc.buyer, doc.buyer.siret, seller=False)
    if doc.project_manager:
        _ubl_party(e(root, "cac:BuyerCustomerParty"), doc.project_manager, doc.project_manager.siret, seller=False)

    means = e(root, "cac:PaymentMeans")
    e(means, "cbc:PaymentMeansCode", "30", name="Virement")
    if doc.due and doc.credit_note:
        e(means, "cbc:PaymentDueDate", doc.due.isoformat())
    e(means, "cbc:PaymentID", doc.number)
    account = e(means, "cac:PayeeFinancialAccount")
    e(account, "cbc:ID", doc.seller.iban)
    e(account, "cbc:Name", doc.seller.name)
    e(e(root, "cac:PaymentTerms"), "cbc:Note", doc.payment_terms)

    tax_total = e(root, "cac:TaxTotal")
    e(tax_total, "cbc:TaxAmount", amount(doc.tax_total), currencyID="EUR")
    for rate, base, vat in doc.vat_groups():
        sub = e(tax_total, "cac:TaxSubtotal")
        e(sub, "cbc:TaxableAmount", amount(base), currencyID="EUR")
        e(sub, "cbc:TaxAmount", amount(vat), currencyID="EUR")
        _ubl_tax_category(e(sub, "cac:TaxCategory"), rate)

    totals = e(root, "cac:LegalMonetaryTotal")
    e(totals, "cbc:LineExtensionAmount", amount(doc.line_total), currencyID="EUR")
    e(totals, "cbc:TaxExclusiveAmount", amount(doc.line_total), currencyID="EUR")
    e(totals, "cbc:TaxInclusiveAmount", amount(doc.grand_total), currencyID="EUR")
    e(totals, "cbc:PayableAmount", amount(doc.payable), currencyID="EUR")

    line_tag, quantity_tag = ("CreditNoteLine", "CreditedQuantity") if doc.credit_note else \
        ("InvoiceLine", "InvoicedQuantity")
    for position, item in enumerate(doc.items, start=1):
        line = e(root, f"cac:{line_tag}")
        e(line, "cbc:ID", str(position))
        e(line, f"cbc:{quantity_tag}", plain(item.quantity), unitCode=item.unit)
        e(line, "cbc:LineExtensionAmount", amount(item.net), currencyID="EUR")
        product = e(line, "cac:Item")
        if item.description:
            e(product, "cbc:Description", item.description)
        e(product, "cbc:Name", item.name)
        if item.ref:
            e(e(product, "cac:SellersItemIdentification"), "cbc:ID", item.ref)
        category = e(product, "cac:ClassifiedTaxCategory")
        e(category, "cbc:ID", "S")
        e(category, "cbc:Percent", plain(item.rate))
        e(e(category, "cac:TaxScheme"), "cbc:ID", "VAT")
        e(e(line, "cac:Price"), "cbc:PriceAmount", item.price, currencyID="EUR")
    return _serialise(root)


def _ubl_tax_category(category, rate: Decimal) -> None:
    _el(category, "cbc:ID", "S")
    _el(category, "cbc:Percent", plain(rate))
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _ubl_party(holder, org: Org, siret: str, seller: bool) -> None:
    e = _el
    party = e(holder, "cac:Party")
    e(party, "cbc:EndpointID", siret, schemeID="0009")
    e(e(party, "cac:PartyIdentification"), "cbc:ID", siret, schemeID="0009")
    address = e(party, "cac:PostalAddress")
    e(address, "cbc:StreetName", org.street)
    e(address, "cbc:CityName", org.city)
    e(address, "cbc:PostalZone", org.postcode)
    e(e(address, "cac:Country"), "cbc:IdentificationCode", "FR")
    if org.vat:
        scheme = e(party, "cac:PartyTaxScheme")
        e(scheme, "cbc:CompanyID", org.vat)
        e(e(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = e(party, "cac:PartyLegalEntity")
    e(legal, "cbc:RegistrationName", org.name)
    e(legal, "cbc:CompanyID", org.siren, schemeID="0002")
    if seller and org.email:
        contact = e(party, "cac:Contact")
        e(contact, "cbc:Name", "Service facturation")
        e(contact, "cbc:Telephone", org.phone)
        e(contact, "cbc:ElectronicMail", org.email)


# ----------------------------------------------------------------------------------------------------------------
# CII D16B, Factur-X EN 16931 profile (element order of Factur-X_EN16931.xsd)
# ----------------------------------------------------------------------------------------------------------------
def cii(doc: Doc) -> bytes:
    def e(parent, qname, text=None, **attrs):
        return _el(parent, qname, text, ns=CII_NS, **attrs)

    root = etree.Element(f"{{{CII_NS['rsm']}}}CrossIndustryInvoice", nsmap=CII_NS)
    context = e(root, "rsm:ExchangedDocumentContext")
    e(e(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", BILLING_FRAME)
    e(e(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = e(root, "rsm:ExchangedDocument")
    e(header, "ram:ID", doc.number)
    e(header, "ram:TypeCode", doc.type_code)
    e(e(header, "ram:IssueDateTime"), "udt:DateTimeString", doc.issued.strftime("%Y%m%d"), format="102")
    for note in doc.notes:
        e(e(header, "ram:IncludedNote"), "ram:Content", note)
    transaction = e(root, "rsm:SupplyChainTradeTransaction")

    for position, item in enumerate(doc.items, start=1):
        line = e(transaction, "ram:IncludedSupplyChainTradeLineItem")
        e(e(line, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(position))
        product = e(line, "ram:SpecifiedTradeProduct")
        if item.ref:
            e(product, "ram:SellerAssignedID", item.ref)
        e(product, "ram:Name", item.name)
        if item.description:
            e(product, "ram:Description", item.description)
        agreement = e(line, "ram:SpecifiedLineTradeAgreement")
        e(e(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", item.price)
        e(e(line, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", plain(item.quantity), unitCode=item.unit)
        settlement = e(line, "ram:SpecifiedLineTradeSettlement")
        tax = e(settlement, "ram:ApplicableTradeTax")
        e(tax, "ram:TypeCode", "VAT")
        e(tax, "ram:CategoryCode", "S")
        e(tax, "ram:RateApplicablePercent", plain(item.rate))
        e(e(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
          amount(item.net))

    agreement = e(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.service:
        e(agreement, "ram:BuyerReference", doc.service)
    _cii_party(e, e(agreement, "ram:SellerTradeParty"), doc.seller, doc.siret, seller=True)
    _cii_party(e, e(agreement, "ram:BuyerTradeParty"), doc.buyer, doc.buyer.siret, seller=False)
    if doc.engagement:
        e(e(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", doc.engagement)
    if doc.contract:
        e(e(agreement, "ram:ContractReferencedDocument"), "ram:IssuerAssignedID", doc.contract)
    e(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = e(transaction, "ram:ApplicableHeaderTradeSettlement")
    e(settlement, "ram:PaymentReference", doc.number)
    e(settlement, "ram:InvoiceCurrencyCode", "EUR")
    means = e(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    e(means, "ram:TypeCode", "30")
    account = e(means, "ram:PayeePartyCreditorFinancialAccount")
    e(account, "ram:IBANID", doc.seller.iban)
    e(account, "ram:AccountName", doc.seller.name)
    for rate, base, vat in doc.vat_groups():
        tax = e(settlement, "ram:ApplicableTradeTax")
        e(tax, "ram:CalculatedAmount", amount(vat))
        e(tax, "ram:TypeCode", "VAT")
        e(tax, "ram:BasisAmount", amount(base))
        e(tax, "ram:CategoryCode", "S")
        e(tax, "ram:RateApplicablePercent", plain(rate))
    terms = e(settlement, "ram:SpecifiedTradePaymentTerms")
    e(terms, "ram:Description", doc.payment_terms)
    if doc.due:
        e(e(terms, "ram:DueDateDateTime"), "udt:DateTimeString", doc.due.strftime("%Y%m%d"), format="102")
    summation = e(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    e(summation, "ram:LineTotalAmount", amount(doc.line_total))
    e(summation, "ram:TaxBasisTotalAmount", amount(doc.line_total))
    e(summation, "ram:TaxTotalAmount", amount(doc.tax_total), currencyID="EUR")
    e(summation, "ram:GrandTotalAmount", amount(doc.grand_total))
    e(summation, "ram:DuePayableAmount", amount(doc.payable))
    return _serialise(root)


def _cii_party(e, party, org: Org, siret: str, seller: bool) -> None:
    e(party, "ram:GlobalID", siret, schemeID="0009")
    e(party, "ram:Name", org.name)
    e(e(party, "ram:SpecifiedLegalOrganization"), "ram:ID", org.siren, schemeID="0002")
    if seller and org.email:
        contact = e(party, "ram:DefinedTradeContact")
        e(contact, "ram:DepartmentName", "Service facturation")
        e(e(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", org.phone)
        e(e(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", org.email)
    address = e(party, "ram:PostalTradeAddress")
    e(address, "ram:PostcodeCode", org.postcode)
    e(address, "ram:LineOne", org.street)
    e(address, "ram:CityName", org.city)
    e(address, "ram:CountryID", "FR")
    e(e(party, "ram:URIUniversalCommunication"), "ram:URIID", siret, schemeID="0009")
    if org.vat:
        e(e(party, "ram:SpecifiedTaxRegistration"), "ram:ID", org.vat, schemeID="VA")


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ----------------------------------------------------------------------------------------------------------------
# PDF: a one-page A4 invoice drawn as text (Helvetica, WinAnsi), written by hand, then Factur-X via `factur-x`
# ----------------------------------------------------------------------------------------------------------------
def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _width(text: str, size: float) -> float:
    """Approximate Helvetica width, exact for digits, spaces, commas and points (to right-align amounts)."""
    widths = {" ": 278, ",": 278, ".": 278, "%": 889, "-": 333}
    return sum(widths.get(ch, 556) for ch in text) * size / 1000


class Page:
    def __init__(self):
        self.ops: list[bytes] = []

    def text(self, x: float, y: float, text: str, size: float = 9, bold: bool = False, right: bool = False):
        if right:
            x -= _width(text, size)
        font = b"/F2" if bold else b"/F1"
        self.ops.append(b"BT %s %g Tf %.2f %.2f Td %s Tj ET" % (font, size, x, y, _pdf_text(text)))

    def rule(self, x1: float, y: float, x2: float, width: float = 0.5):
        self.ops.append(b"%g w %.2f %.2f m %.2f %.2f l S" % (width, x1, y, x2, y))

    def box(self, x: float, y: float, w: float, h: float, grey: float = 0.93):
        self.ops.append(b"%g g %.2f %.2f %.2f %.2f re f 0 g" % (grey, x, y, w, h))

    def pdf(self, title: str, created: str) -> bytes:
        content = b"\n".join(self.ops)
        title_hex = ("FEFF" + title.encode("utf-16-be").hex().upper()).encode()
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            b"<< /Title <" + title_hex + b"> /Producer (edi_gateway tools/make_samples.py) /CreationDate ("
            + created.encode() + b") /ModDate (" + created.encode() + b") >>",
        ]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        file_id = hashlib.md5(content).hexdigest().upper().encode()
        out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                % (len(objects) + 1, file_id, file_id, xref))
        return bytes(out)


def invoice_page(doc: Doc, footer: str, stamp: str | None = None) -> Page:
    """The human-readable side of an invoice: header, parties, lines, VAT breakdown, totals, payment."""
    page = Page()
    left, right = 50, 545
    y = 790
    page.text(left, y, doc.seller.name, 15, bold=True)
    page.text(right, y, "FACTURE" if not doc.credit_note else "AVOIR", 18, bold=True, right=True)
    y -= 16
    for text in (f"{doc.seller.street}, {doc.seller.postcode} {doc.seller.city}",
                 f"SIRET {doc.siret} - TVA intracommunautaire {doc.seller.vat}",
                 f"Tél. {doc.seller.phone} - {doc.seller.email}"):
        page.text(left, y, text, 8.5)
        y -= 11
    page.text(right, 774, f"N° {doc.number}", 11, bold=True, right=True)
    page.text(right, 761, f"Date d'émission : {doc.issued:%d/%m/%Y}", 9, right=True)
    if doc.due:
        page.text(right, 749, f"Échéance : {doc.due:%d/%m/%Y}", 9, right=True)

    y = 700
    page.box(300, y - 72, 245, 86)
    page.text(310, y, "Destinataire (structure publique)", 8, bold=True)
    rows = [doc.buyer.name, doc.buyer.street, f"{doc.buyer.postcode} {doc.buyer.city}",
            f"SIRET {doc.buyer.siret}"]
    if doc.service:
        rows.append(f"Code service : {doc.service}")
    for offset, text in enumerate(rows, start=1):
        page.text(310, y - 12 * offset, text, 9, bold=offset == 1)
    refs = [f"Cadre de facturation : {BILLING_FRAME} (facture de fournisseur)"]
    if doc.engagement:
        refs.append(f"N° d'engagement juridique : {doc.engagement}")
    if doc.contract:
        refs.append(f"Marché public n° {doc.contract}")
    if doc.preceding:
        refs.append(f"Facture d'origine : {doc.preceding}")
    for offset, text in enumerate(refs):
        page.text(left, y - 12 * offset, text, 9)

    y = 600
    columns = [(left, "Désignation", False), (360, "Qté", True), (385, "Unité", False), (460, "PU HT", True),
               (495, "TVA", True), (right, "Montant HT", True)]
    page.box(left - 4, y - 4, right - left + 8, 16, grey=0.85)
    for x, title, align_right in columns:
        page.text(x, y, title, 8.5, bold=True, right=align_right)
    y -= 18
    for item in doc.items:
        page.text(left, y, item.name, 8.5)
        page.text(360, y, plain(item.quantity).replace(".", ","), 8.5, right=True)
        page.text(385, y, item.unit, 8.5)
        page.text(460, y, french(Decimal(item.price)), 8.5, right=True)
        page.text(495, y, plain(item.rate).replace(".", ",") + " %", 8.5, right=True)
        page.text(right, y, french(item.net), 8.5, right=True)
        y -= 14
    page.rule(left, y + 6, right)

    y -= 14
    page.text(left, y, "Récapitulatif TVA", 8.5, bold=True)
    for rate, base, vat in doc.vat_groups():
        y -= 12
        page.text(left, y, f"TVA {plain(rate).replace('.', ',')} % sur {french(base)} EUR : {french(vat)} EUR", 8.5)
    ty = y + 12 * len(doc.vat_groups())
    for label, value, bold in (("Total HT", doc.line_total, False), ("Total TVA", doc.tax_total, False),
                               ("Total TTC", doc.grand_total, True), ("Net à payer (EUR)", doc.payable, True)):
        page.text(430, ty, label, 9, bold=bold, right=True)
        page.text(right, ty, french(value), 9, bold=bold, right=True)
        ty -= 13
    y = min(y, ty) - 24
    page.text(left, y, "Conditions de paiement", 8.5, bold=True)
    y -= 11
    for chunk in _wrap(doc.payment_terms, 110):
        page.text(left, y, chunk, 8)
        y -= 10
    page.text(left, y - 2, f"Virement sur IBAN {doc.seller.iban} - référence à rappeler : {doc.number}", 8)
    if stamp:
        page.text(left, 120, stamp, 9, bold=True)
    page.rule(left, 70, right, 0.3)
    for offset, chunk in enumerate(_wrap(footer, 120)):
        page.text(left, 58 - 10 * offset, chunk, 7.5)
    return page


def _wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])


def _fixed_timestamps(created: str):
    """Make the `factur-x` library write fixed dates instead of `now` (it has no option for that)."""
    from facturx import facturx as fx

    original = (fx._get_pdf_timestamp, fx._get_metadata_timestamp)
    pdf_date = f"D:{created[:8]}{created[8:14]}+00'00'"
    xmp_date = f"{created[:4]}-{created[4:6]}-{created[6:8]}T{created[8:10]}:{created[10:12]}:{created[12:14]}+00:00"
    fx._get_pdf_timestamp = lambda value=None: pdf_date if value is None else original[0](value)
    fx._get_metadata_timestamp = lambda: xmp_date
    return fx, original


def facturx_pdf(doc: Doc) -> bytes:
    """A Factur-X PDF: the printed invoice with its CII EN 16931 XML embedded as factur-x.xml."""
    import logging

    from facturx import generate_from_binary

    logging.getLogger("factur-x").setLevel(logging.ERROR)
    created = f"{doc.issued:%Y%m%d}090000"
    footer = ("Facture électronique au format Factur-X (profil EN 16931) : les données structurées embarquées "
              "(factur-x.xml) font foi. Déposée sur le portail de facturation des entités publiques.")
    visual = invoice_page(doc, footer).pdf(f"Facture {doc.number}", f"D:{created}+00'00'")
    fx, original = _fixed_timestamps(created)
    try:
        return generate_from_binary(
            visual, cii(doc), flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR",
            pdf_metadata={"author": doc.seller.name, "keywords": "Factur-X, facture, Chorus Pro",
                          "title": f"{doc.seller.name} : facture {doc.number}",
                          "subject": f"Facture {doc.number} du {doc.issued:%d/%m/%Y} adressée à {doc.buyer.name}"})
    finally:
        fx._get_pdf_timestamp, fx._get_metadata_timestamp = original


def plain_pdf(doc: Doc) -> bytes:
    """A PDF invoice as a scanner or a word processor would give it: printed text only, no embedded XML."""
    footer = ("Document numérisé - facture papier transmise par courrier et scannée par le fournisseur. Ce PDF ne "
              "contient aucune donnée structurée (pas de factur-x.xml).")
    return invoice_page(doc, footer, stamp="COPIE NUMÉRISÉE").pdf(
        f"Scan facture {doc.number}", f"D:{doc.issued:%Y%m%d}171500+00'00'")


# ----------------------------------------------------------------------------------------------------------------
# The samples
# ----------------------------------------------------------------------------------------------------------------
D = date

BD_0142 = Doc(
    "BD-2026-0142", D(2026, 9, 15), DURAND, COMMUNE, due=D(2026, 10, 15), service="SERV-TECH",
    engagement="EJ-2026-004512", contract="2026-TRX-017-L3",
    notes=("Travaux réalisés du 24/08/2026 au 11/09/2026, procès-verbal de réception du 11/09/2026.",),
    items=(
        Item("Réfection toiture école Jules Ferry", "1", "LS", "18450.00", "20", "TRX-TOIT-01",
             "Dépose et repose de tuiles, remplacement des liteaux, 320 m2"),
        Item("Remplacement gouttières zinc école Jules Ferry", "64", "MTR", "42.50", "20", "TRX-ZINC-02"),
        Item("Location échafaudage de façade", "15", "DAY", "185.00", "20", "LOC-ECH-01"),
        Item("Reprise d'étanchéité logement de fonction du gardien", "1", "LS", "2380.00", "10", "TRX-ETAN-04",
             "Travaux d'entretien dans un local d'habitation de plus de deux ans"),
    ))

IL_0071 = Doc(
    "IL-2026-0071", D(2026, 10, 6), LEMOINE, DEPARTEMENT, due=D(2026, 11, 5), service="DIR-BATIMENTS",
    engagement="2026-DVE-01044",
    notes=("Équipement des postes de travail du pôle maintenance des collèges.",),
    items=(
        Item("Ordinateur portable 14 pouces 16 Go", "6", "C62", "879.00", "20", "PC-14-16"),
        Item("Écran 24 pouces réglable en hauteur", "6", "C62", "189.90", "20", "ECR-24-HA"),
        Item("Maintenance poste de travail (installation, migration des données)", "9.5", "HUR", "68.00", "20",
             "SRV-MAINT"),
        Item("Guide de l'utilisateur imprimé (livre)", "6", "C62", "19.50", "5.5", "DOC-GUIDE"),
    ))

IL_0077 = Doc(
    "IL-2026-0077", D(2026, 10, 20), LEMOINE, DEPARTEMENT, due=D(2026, 11, 19), service="DIR-BATIMENTS",
    engagement="2026-DVE-01044", credit_note=True, preceding="IL-2026-0071", preceding_date=D(2026, 10, 6),
    notes=("Avoir sur la facture IL-2026-0071 du 06/10/2026 : retour d'un écran défectueux et heure de "
           "maintenance non réalisée.",),
    payment_terms="Avoir à déduire du prochain règlement ou remboursé par virement sous 30 jours.",
    items=(
        Item("Retour écran 24 pouces réglable en hauteur (défectueux)", "1", "C62", "189.90", "20", "ECR-24-HA"),
        Item("Maintenance poste de travail non réalisée", "1.5", "HUR", "68.00", "20", "SRV-MAINT"),
    ))

NSO_0121 = Doc(
    "NSO-2026-0121", D(2026, 10, 2), NETTOYAGE, DEPARTEMENT, due=D(2026, 11, 1), service="DIR-BATIMENTS",
    engagement="2026-DVE-00987", contract="2025-SRV-044",
    notes=("Prestations du mois de septembre 2026, Hôtel du Département et archives départementales.",),
    items=(
        Item("Nettoyage quotidien des bureaux, Hôtel du Département", "1", "MON", "4860.00", "20", "NET-BUR"),
        Item("Nettoyage des archives départementales", "1", "MON", "1275.00", "20", "NET-ARC"),
        Item("Lavage des vitreries (2 faces)", "840", "MTK", "2.35", "20", "NET-VIT"),
        Item("Décapage et mise en cire des sols, salle des délibérations", "210", "MTK", "6.80", "20", "NET-SOL"),
        Item("Intervention exceptionnelle après la réception du 18/09/2026", "6", "HUR", "31.50", "20", "NET-EXC"),
    ))

NSO_0118 = Doc(
    "NSO-2026-0118", D(2026, 9, 30), NETTOYAGE, SYNDICAT, due=D(2026, 10, 30), engagement="SIE-2026-021",
    notes=("Prestations du mois de septembre 2026, station de pompage et bureaux du syndicat.",),
    items=(
        Item("Nettoyage des locaux de la station de pompage", "1", "MON", "1120.00", "20", "NET-STA"),
        Item("Nettoyage des bureaux du syndicat", "1", "MON", "645.00", "20", "NET-BUR"),
        Item("Désinfection des sanitaires et vestiaires", "4", "C62", "87.50", "20", "NET-DES"),
    ))

FBM_0215 = Doc(
    "FBM-2026-0215", D(2026, 10, 14), MARTIN, COMMUNE, due=D(2026, 11, 13), service="FINANCES",
    engagement="EJ-2026-004587",
    items=(
        Item("Ramettes papier A4 80 g recyclé (carton de 5)", "15", "C62", "26.40", "20", "PAP-A4-REC"),
        Item("Cartouches de toner noir imprimante réseau", "8", "C62", "74.90", "20", "TON-NR-52"),
        Item("Parapheurs 18 compartiments", "5", "C62", "16.75", "20", "PAR-18"),
        Item("Code général des collectivités territoriales 2027 (livre)", "2", "C62", "94.00", "5.5", "LIV-CGCT"),
        Item("Mémento des finances locales (livre)", "3", "C62", "38.50", "5.5", "LIV-MFL"),
    ))

# --- error samples ---------------------------------------------------------------------------------------------
BD_0150_NO_DATE = Doc(
    "BD-2026-0150", D(2026, 10, 12), DURAND, DEPARTEMENT, due=D(2026, 11, 11), service="DIR-BATIMENTS",
    engagement="2026-DVE-01012",
    items=(
        Item("Remplacement menuiseries extérieures collège Victor Hugo", "12", "C62", "845.00", "20", "MEN-PVC"),
        Item("Dépose et évacuation des anciennes fenêtres", "12", "C62", "65.00", "20", "MEN-DEP"),
    ))

IL_0083_WRONG_TOTAL = Doc(
    "IL-2026-0083", D(2026, 10, 27), LEMOINE, COMMUNE, due=D(2026, 11, 26), service="FINANCES",
    engagement="EJ-2026-004603", total_error=Decimal("10.00"),
    items=(
        Item("Licence logiciel de gestion financière (1 an)", "1", "C62", "1450.00", "20", "LIC-GF"),
        Item("Formation des agents au logiciel", "7", "HUR", "85.00", "20", "FOR-GF"),
        Item("Maintenance poste de travail", "3", "HUR", "68.00", "20", "SRV-MAINT"),
    ))

BD_0147_BAD_SIRET = Doc(
    "BD-2026-0147", D(2026, 10, 8), DURAND, SYNDICAT, due=D(2026, 11, 7), engagement="SIE-2026-024",
    seller_siret=INVALID_SIRET,
    items=(
        Item("Réparation du portail de la station de pompage", "1", "LS", "1980.00", "20", "TRX-PORT"),
        Item("Peinture antirouille des garde-corps", "38", "MTR", "24.00", "20", "TRX-PEINT"),
    ))

NSO_0124_SCAN = Doc(
    "NSO-2026-0124", D(2026, 10, 16), NETTOYAGE, COMMUNE, due=D(2026, 11, 15), service="SERV-TECH",
    engagement="EJ-2026-004590",
    items=(
        Item("Nettoyage du gymnase municipal après travaux", "1", "LS", "1340.00", "20", "NET-GYM"),
        Item("Nettoyage des vitreries de la médiathèque", "310", "MTK", "2.35", "20", "NET-VIT"),
    ))

# --- routing: billing frames, and what the directory refuses ----------------------------------------------------
BD_0170_WORKS = Doc(
    "BD-2026-0170", D(2026, 11, 5), DURAND, DEPARTEMENT, due=D(2026, 12, 5), service="DIR-BATIMENTS",
    engagement="2026-DVE-01090", contract="2026-TRX-031", frame="A5", project_manager=ARCADE,
    notes=("État d'acompte n° 2 : restructuration du collège Victor Hugo, lot 3 couverture, travaux réalisés "
           "en octobre 2026. Maîtrise d'œuvre : Atelier Arcade Architectes.",),
    items=(
        Item("Couverture bac acier bâtiment B (avancement 60 %)", "0.60", "LS", "48500.00", "20", "TRX-COUV-B"),
        Item("Isolation sous toiture bâtiment B", "420", "MTK", "23.80", "20", "TRX-ISOL-B"),
    ))

NSO_0140_SUBCONTRACTOR = Doc(
    "NSO-2026-0140", D(2026, 11, 6), NETTOYAGE, DEPARTEMENT, due=D(2026, 12, 6), service="DIR-COLLEGES",
    engagement="2026-DVE-01090", contract="2026-TRX-031", frame="A9",
    notes=("Sous-traitance du lot 3 (Bâtiments Durand SAS, titulaire) : nettoyage de fin de chantier du collège "
           "Victor Hugo, paiement direct du sous-traitant.",),
    items=(
        Item("Nettoyage de fin de chantier, bâtiment B", "1", "LS", "2640.00", "20", "NET-CHANT"),
        Item("Évacuation des déchets de chantier", "3", "C62", "180.00", "20", "NET-DECH"),
    ))

IL_0101_UNKNOWN_RECIPIENT = Doc(
    "IL-2026-0101", D(2026, 11, 10), LEMOINE, SAINT_EXEMPLE, due=D(2026, 12, 10), service="MAIRIE",
    engagement="SEV-2026-0042",
    items=(Item("Ordinateur portable 14 pouces 16 Go", "2", "C62", "879.00", "20", "PC-14-16"),))

IL_0102_NO_SERVICE = Doc(
    "IL-2026-0102", D(2026, 11, 12), LEMOINE, COMMUNE, due=D(2026, 12, 12), engagement="EJ-2026-004680",
    items=(Item("Maintenance poste de travail", "4", "HUR", "68.00", "20", "SRV-MAINT"),
           Item("Clé USB chiffrée 64 Go", "10", "C62", "42.00", "20", "USB-64")))

# --- the ZIP lot: invoices of November 2026 to the town hall of Belleville --------------------------------------
LOT_BD_0161 = Doc(
    "BD-2026-0161", D(2026, 11, 4), DURAND, COMMUNE, due=D(2026, 12, 4), service="SERV-TECH",
    engagement="EJ-2026-004655",
    items=(
        Item("Réparation de la charpente du préau école Jules Ferry", "1", "LS", "6240.00", "20", "TRX-CHARP"),
        Item("Traitement fongicide des bois", "85", "MTK", "14.20", "20", "TRX-FONG"),
        Item("Mise en sécurité de la cour (barrièrage)", "4", "DAY", "120.00", "20", "TRX-SECU"),
    ))
LOT_BD_0161_DUPLICATE = dataclasses.replace(LOT_BD_0161, items=LOT_BD_0161.items + (
    Item("Évacuation des gravats en déchetterie", "2", "C62", "165.00", "20", "TRX-EVAC"),
))
LOT_NSO_0130 = Doc(
    "NSO-2026-0130", D(2026, 11, 2), NETTOYAGE, COMMUNE, due=D(2026, 12, 2), service="SERV-TECH",
    engagement="EJ-2026-004601", contract="2025-SRV-012",
    notes=("Prestations du mois d'octobre 2026.",),
    items=(
        Item("Nettoyage quotidien de la mairie", "1", "MON", "2150.00", "20", "NET-MAI"),
        Item("Nettoyage des écoles maternelle et élémentaire", "1", "MON", "3420.00", "20", "NET-ECO"),
        Item("Nettoyage de la salle des fêtes après manifestations", "5", "C62", "142.00", "20", "NET-SDF"),
    ))
LOT_FBM_0220 = Doc(
    "FBM-2026-0220", D(2026, 11, 9), MARTIN, COMMUNE, due=D(2026, 12, 9), service="FINANCES",
    engagement="EJ-2026-004662",
    items=(
        Item("Enveloppes à fenêtre DL (boîte de 500)", "6", "C62", "21.90", "20", "ENV-DL"),
        Item("Agendas 2027 semainier", "25", "C62", "9.80", "20", "AGE-2027"),
        Item("Registre des délibérations relié", "2", "C62", "58.00", "20", "REG-DEL"),
        Item("Guide de l'état civil (livre)", "1", "C62", "67.00", "5.5", "LIV-ETC"),
    ))

DELIVERY_NOTE = """BON DE LIVRAISON N° BL-2026-3310

Fournitures Bureau Martin - 27 rue Nationale - 59000 Lille
Livré à : Commune de Belleville-sur-Saône - Service des finances
Date de livraison : 09/11/2026
Commande : EJ-2026-004662

Réf.        Désignation                               Quantité
ENV-DL      Enveloppes à fenêtre DL (boîte de 500)           6
AGE-2027    Agendas 2027 semainier                          25
REG-DEL     Registre des délibérations relié                 2
LIV-ETC     Guide de l'état civil (livre)                    1

Marchandise reçue conforme. Signature du réceptionnaire :
"""

LOT_DATE = (2026, 11, 18, 9, 30, 0)


def lot() -> bytes:
    truncated = ubl(Doc(
        "IL-2026-0094", D(2026, 11, 12), LEMOINE, COMMUNE, due=D(2026, 12, 12), service="FINANCES",
        engagement="EJ-2026-004671",
        items=(Item("Remplacement disque dur serveur de la mairie", "1", "C62", "310.00", "20", "HDD-SRV"),
               Item("Maintenance poste de travail", "2", "HUR", "68.00", "20", "SRV-MAINT")),
    ))
    truncated = truncated[: truncated.index(b"<cac:TaxTotal>")]  # the transfer stopped half-way
    members = OrderedDict([
        ("durand-facture-BD-2026-0161.xml", ubl(LOT_BD_0161)),
        ("nettoyage-facture-NSO-2026-0130.xml", cii(LOT_NSO_0130)),
        ("martin-facturx-FBM-2026-0220.pdf", facturx_pdf(LOT_FBM_0220)),
        ("durand-facture-BD-2026-0161-doublon.xml", ubl(LOT_BD_0161_DUPLICATE)),
        ("bon-de-livraison-BL-2026-3310.txt", DELIVERY_NOTE.encode("utf-8")),
        ("lemoine-facture-IL-2026-0094-tronquee.xml", truncated),
    ])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=LOT_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data)
    return buffer.getvalue()


def samples() -> dict[str, bytes]:
    return {
        # valid
        "durand-facture-BD-2026-0142.xml": ubl(BD_0142),
        "lemoine-facture-IL-2026-0071.xml": ubl(IL_0071),
        "lemoine-avoir-IL-2026-0077.xml": ubl(IL_0077),
        "nettoyage-facture-NSO-2026-0121.xml": ubl(NSO_0121),
        "nettoyage-facture-NSO-2026-0118-cii.xml": cii(NSO_0118),
        "martin-facturx-FBM-2026-0215.pdf": facturx_pdf(FBM_0215),
        # errors
        "durand-facture-BD-2026-0150-sans-date.xml": ubl(BD_0150_NO_DATE, drop_issue_date=True),
        "lemoine-facture-IL-2026-0083-total-errone.xml": ubl(IL_0083_WRONG_TOTAL),
        "durand-facture-BD-2026-0147-siret-invalide-cii.xml": cii(BD_0147_BAD_SIRET),
        "scan-sans-facturx.pdf": plain_pdf(NSO_0124_SCAN),
        # routing: a works frame and a sub-contractor frame (accepted), and what the directory refuses
        "durand-etat-acompte-BD-2026-0170-travaux.xml": ubl(BD_0170_WORKS),
        "nettoyage-facture-NSO-2026-0140-sous-traitance.xml": ubl(NSO_0140_SUBCONTRACTOR),
        "lemoine-facture-IL-2026-0101-destinataire-inconnu.xml": ubl(IL_0101_UNKNOWN_RECIPIENT),
        "lemoine-facture-IL-2026-0102-sans-service.xml": ubl(IL_0102_NO_SERVICE),
        # a lot mixing all of it
        "lot-mairie-belleville-2026-11.zip": lot(),
    }


def main() -> int:
    SAMPLES.mkdir(exist_ok=True)
    for name, data in samples().items():
        path = SAMPLES / name
        path.write_bytes(data)
        print(f"{path.relative_to(ROOT)}  {len(data):>7} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
