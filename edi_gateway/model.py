"""The canonical invoice model: EN 16931 business terms, filled by every parser, read by every validator.

Every class is a plain dataclass holding plain values (str, Decimal, date), so an invoice pickles cheaply between
worker processes and reads the same whatever format it came from. Field comments give the business term (BT) or
business group (BG) of EN 16931-1 each attribute holds.

Traceability: `Invoice.locations` maps a *field path* (``"number"``, ``"totals.payable"``,
``"lines[2].net_amount"``) to where the value sits in the source: an XPath with its line in an XML file, or
``row N, column NAME`` in a CSV file. Validators name field paths in their findings; reports resolve them through
this map, so a depositor is told exactly which element to correct.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .routing.router import Route


class Severity(str, enum.Enum):
    """How much a finding weighs: a FATAL finding rejects the invoice, a WARNING is only reported."""

    FATAL = "fatal"
    WARNING = "warning"


class Decision(str, enum.Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class DocumentFormat(str, enum.Enum):
    """What a file or lot member holds, as told by its content (never by its name)."""

    UBL_INVOICE = "ubl-invoice"
    UBL_CREDIT_NOTE = "ubl-creditnote"
    CII = "cii"
    FACTURX_PDF = "facturx-pdf"
    CSV = "csv"
    ZIP = "zip"


INVOICE, CREDIT_NOTE = "invoice", "credit-note"
# UNTDID 1001 codes of credit notes: credit note, self-billed, consolidated, price variation, delcredere,
# factored, OCR, reversal of debit, forwarder's credit note
CREDIT_NOTE_TYPES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})


@dataclass(slots=True)
class Identifier:
    """An identifier with its scheme (ISO 6523 ICD code, e.g. 0009 SIRET, 0002 SIREN, or a VAT scheme)."""

    value: str
    scheme: str | None = None


@dataclass(slots=True)
class Address:
    line1: str | None = None  # BT-35 / BT-50
    line2: str | None = None  # BT-36 / BT-51
    city: str | None = None  # BT-37 / BT-52
    postcode: str | None = None  # BT-38 / BT-53
    country: str | None = None  # BT-40 / BT-55, ISO 3166-1 alpha-2
    present: bool = False  # the source had the address group, even empty (set by the XML readers)

    @property
    def given(self) -> bool:
        """Whether the invoice gives this address at all (the group, or any of its terms)."""
        return self.present or any((self.line1, self.line2, self.city, self.postcode, self.country))


@dataclass(slots=True)
class Party:
    """A seller (BG-4) or buyer (BG-7)."""

    name: str | None = None  # BT-27 / BT-44
    trading_name: str | None = None  # BT-28 / BT-45
    identifiers: list[Identifier] = field(default_factory=list)  # BT-29 / BT-46 (SIRET with scheme 0009...)
    legal_id: Identifier | None = None  # BT-30 / BT-47 legal registration (SIREN, scheme 0002)
    vat_id: str | None = None  # BT-31 / BT-48
    tax_registration_id: str | None = None  # BT-32 seller tax registration (a scheme other than VAT)
    legal_info: str | None = None  # BT-33 seller additional legal information (capital, RCS...)
    address: Address = field(default_factory=Address)  # BG-5 / BG-8 / BG-12 (tax representative)
    electronic_address: Identifier | None = None  # BT-34 / BT-49

    def identifier(self, *schemes: str) -> Identifier | None:
        """The first identifier (party or legal) in one of `schemes`; any identifier when none is given."""
        for candidate in (*self.identifiers, self.legal_id):
            if candidate is not None and (not schemes or candidate.scheme in schemes):
                return candidate
        return None


@dataclass(slots=True)
class AllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21), or a line-level one (BG-27 / BG-28)."""

    is_charge: bool
    amount: Decimal  # BT-92 / BT-99
    base_amount: Decimal | None = None  # BT-93 / BT-100
    percent: Decimal | None = None  # BT-94 / BT-101
    vat_category: str | None = None  # BT-95 / BT-102
    vat_rate: Decimal | None = None  # BT-96 / BT-103
    reason: str | None = None  # BT-97 / BT-104
    reason_code: str | None = None  # BT-98 / BT-105


@dataclass(slots=True)
class Period:
    """An invoicing period (BG-14: BT-73, BT-74) or a line period (BG-26: BT-134, BT-135)."""

    start: date | None = None
    end: date | None = None


@dataclass(slots=True)
class ItemAttribute:
    """An item attribute (BG-32)."""

    name: str | None = None  # BT-160
    value: str | None = None  # BT-161


@dataclass(slots=True)
class Line:
    """An invoice line (BG-25)."""

    id: str | None = None  # BT-126
    note: str | None = None  # BT-127
    object_id: Identifier | None = None  # BT-128 with its scheme (UNTDID 1153)
    quantity: Decimal | None = None  # BT-129
    unit_code: str | None = None  # BT-130
    net_amount: Decimal | None = None  # BT-131
    order_line_ref: str | None = None  # BT-132
    net_price: Decimal | None = None  # BT-146
    price_discount: Decimal | None = None  # BT-147
    gross_price: Decimal | None = None  # BT-148
    price_base_quantity: Decimal | None = None  # BT-149
    price_base_unit_code: str | None = None  # BT-150
    buyer_accounting_ref: str | None = None  # BT-133
    period: Period | None = None  # BG-26 (None when the line has no period)
    vat_category: str | None = None  # BT-151
    vat_rate: Decimal | None = None  # BT-152
    name: str | None = None  # BT-153 (item name: the "designation")
    description: str | None = None  # BT-154
    seller_item_id: str | None = None  # BT-155
    buyer_item_id: str | None = None  # BT-156
    standard_item_id: Identifier | None = None  # BT-157 with its scheme (ISO 6523 ICD, e.g. 0160 GTIN)
    classifications: list[Identifier] = field(default_factory=list)  # BT-158 with list id (UNTDID 7143)
    origin_country: str | None = None  # BT-159
    attributes: list[ItemAttribute] = field(default_factory=list)  # BG-32
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)  # BG-27 / BG-28


@dataclass(slots=True)
class VatBreakdown:
    """One VAT breakdown group (BG-23): one per VAT category and rate."""

    category: str | None = None  # BT-118
    rate: Decimal | None = None  # BT-119
    taxable_amount: Decimal | None = None  # BT-116
    tax_amount: Decimal | None = None  # BT-117
    exemption_reason: str | None = None  # BT-120
    exemption_code: str | None = None  # BT-121


@dataclass(slots=True)
class Totals:
    """Document totals (BG-22)."""

    line_net: Decimal | None = None  # BT-106 sum of line net amounts
    allowances: Decimal | None = None  # BT-107 sum of document allowances
    charges: Decimal | None = None  # BT-108 sum of document charges
    tax_exclusive: Decimal | None = None  # BT-109 total without VAT
    tax: Decimal | None = None  # BT-110 total VAT in the document currency
    tax_accounting: Decimal | None = None  # BT-111 total VAT in the accounting currency
    tax_inclusive: Decimal | None = None  # BT-112 total with VAT
    prepaid: Decimal | None = None  # BT-113 paid amount
    rounding: Decimal | None = None  # BT-114 rounding amount
    payable: Decimal | None = None  # BT-115 amount due for payment
    present: bool = False  # the source had the document totals group, even empty (set by the XML readers)

    @property
    def given(self) -> bool:
        """Whether the invoice has document totals at all (the group, or any of its amounts)."""
        return self.present or any(getattr(self, name) is not None for name in _AMOUNT_TOTALS)


@dataclass(slots=True)
class CreditTransfer:
    """A payment account to transfer to (BG-17)."""

    account: str | None = None  # BT-84 (IBAN for SEPA)
    name: str | None = None  # BT-85
    bic: str | None = None  # BT-86


@dataclass(slots=True)
class PaymentMeans:
    """One payment instruction (BG-16): how the buyer is expected to pay."""

    code: str | None = None  # BT-81 (UNTDID 4461: 30 credit transfer, 58 SEPA transfer, 59 SEPA debit...)
    text: str | None = None  # BT-82
    remittance: str | None = None  # BT-83
    transfers: list[CreditTransfer] = field(default_factory=list)  # BG-17
    card_pan: str | None = None  # BT-87 (BG-18 present when card_pan or card_holder is set, or has_card)
    card_holder: str | None = None  # BT-88
    has_card: bool = False  # BG-18 present
    mandate: str | None = None  # BT-89 (BG-19 direct debit)
    debited_account: str | None = None  # BT-91


_AMOUNT_TOTALS = ("line_net", "allowances", "charges", "tax_exclusive", "tax_inclusive", "prepaid", "rounding",
                  "payable")  # BT-110 and BT-111 sit outside the totals group in both syntaxes


@dataclass(slots=True)
class PaymentTerms:
    """Payment instructions (BG-16) and terms (BT-20, BT-9)."""

    note: str | None = None  # BT-20 payment terms
    due_date: date | None = None  # BT-9
    means: list[PaymentMeans] = field(default_factory=list)  # BG-16, one per payment means
    creditor_id: str | None = None  # BT-90 bank assigned creditor identifier

    @property
    def means_code(self) -> str | None:
        """BT-81 of the first payment instruction."""
        return self.means[0].code if self.means else None

    @property
    def iban(self) -> str | None:
        """BT-84 of the first credit transfer."""
        for means in self.means:
            for transfer in means.transfers:
                if transfer.account:
                    return transfer.account
        return None

    @property
    def remittance(self) -> str | None:
        return self.means[0].remittance if self.means else None


@dataclass(slots=True)
class PrecedingInvoice:
    """A preceding invoice reference (BG-3)."""

    number: str | None = None  # BT-25
    issue_date: date | None = None  # BT-26


@dataclass(slots=True)
class Delivery:
    """Delivery information (BG-13)."""

    name: str | None = None  # BT-70 deliver to party name
    location_id: Identifier | None = None  # BT-71 with its scheme
    date: date | None = None  # BT-72 actual delivery date
    address: Address | None = None  # BG-15 (None when absent)


@dataclass(slots=True)
class Attachment:
    """An additional supporting document (BG-24)."""

    id: str | None = None  # BT-122
    description: str | None = None  # BT-123
    uri: str | None = None  # BT-124
    filename: str | None = None  # BT-125 filename attribute
    mime_code: str | None = None  # BT-125 mimeCode attribute
    size: int = 0  # bytes of the embedded object, when embedded


@dataclass(slots=True)
class Origin:
    """Where an invoice came from: the batch, the file inside it, and its index inside a lot."""

    batch_id: str | None = None
    file_name: str = ""  # name of the deposited file
    member: str | None = None  # name of the member inside a ZIP lot, if any
    index: int = 0  # position of the invoice inside its file (0 for single-invoice files)

    def label(self) -> str:
        """`lot.zip!member.xml#3`: a short human handle for reports."""
        text = self.file_name
        if self.member:
            text += f"!{self.member}"
        if self.index:
            text += f"#{self.index}"
        return text


@dataclass(slots=True)
class Invoice:
    """One invoice or credit note, in EN 16931 business terms."""

    format: DocumentFormat
    origin: Origin = field(default_factory=Origin)
    profile: str | None = None  # BT-24 specification identifier (CustomizationID / GuidelineID)
    number: str | None = None  # BT-1
    issue_date: date | None = None  # BT-2
    type_code: str | None = None  # BT-3: 380 invoice, 381 credit note, 384 corrective, 389 self-billed...
    currency: str | None = None  # BT-5
    tax_currency: str | None = None  # BT-6
    tax_point_date: date | None = None  # BT-7
    tax_point_date_code: str | None = None  # BT-8 (UNTDID 2005: 3 invoice date, 35 delivery, 432 payment)
    buyer_reference: str | None = None  # BT-10: for Chorus Pro, the recipient's service code
    project_reference: str | None = None  # BT-11
    contract_reference: str | None = None  # BT-12: contract ("marché") number
    purchase_order: str | None = None  # BT-13: engagement number (engagement juridique) / order
    sales_order: str | None = None  # BT-14
    receiving_advice: str | None = None  # BT-15
    despatch_advice: str | None = None  # BT-16
    tender_reference: str | None = None  # BT-17
    invoiced_object: Identifier | None = None  # BT-18 with its scheme (BT-18-1, UNTDID 1153)
    buyer_accounting_ref: str | None = None  # BT-19
    preceding_invoice: str | None = None  # BT-25 (of the first BG-3)
    preceding_invoice_date: date | None = None  # BT-26 (of the first BG-3)
    preceding_invoices: list[PrecedingInvoice] = field(default_factory=list)  # every BG-3
    invoicing_period: Period | None = None  # BG-14 (None when absent)
    delivery: Delivery | None = None  # BG-13 (None when absent)
    business_process: str | None = None  # BT-23: for Chorus Pro, the billing frame (cadre de facturation)
    notes: list[str] = field(default_factory=list)  # BT-22
    seller: Party = field(default_factory=Party)  # BG-4
    buyer: Party = field(default_factory=Party)  # BG-7
    payee: Party | None = None  # BG-10
    seller_tax_representative: Party | None = None  # BG-11
    # Not an EN 16931 term: the project manager ("maître d'œuvre", MOE) that works frames must name. Read from UBL
    # cac:BuyerCustomerParty and CII ram:BuyerAgentTradeParty (the buyer's agent on the works contract) or the CSV
    # project_manager_siret column; a gateway convention, see docs/routing.md.
    project_manager: Party | None = None
    lines: list[Line] = field(default_factory=list)  # BG-25
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)  # BG-20 / BG-21
    vat_breakdown: list[VatBreakdown] = field(default_factory=list)  # BG-23
    totals: Totals = field(default_factory=Totals)  # BG-22
    payment: PaymentTerms = field(default_factory=PaymentTerms)  # BG-16, BT-9, BT-20
    attachments: list[Attachment] = field(default_factory=list)  # BG-24
    locations: dict[str, str] = field(default_factory=dict)  # field path -> source location
    # Codes the syntax carries besides business terms, checked against their code lists (BR-CL-03):
    # the currency attribute of each amount, by field path.
    amount_currencies: dict[str, str] = field(default_factory=dict)
    # and the scheme of each identifier written without a value (`<cbc:ID schemeID="0088"/>`), as (field path of
    # the identifier, scheme): absent for every other rule, its scheme is still checked (BR-CL-07/10/11/13/21/...).
    bare_schemes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def document_family(self) -> str:
        """"credit-note" for a credit note (UBL CreditNote, or a credit-note type code), else "invoice".

        Numbers are unique within a family: a credit note is not a duplicate of the invoice it corrects, even when
        the supplier gives it the same number.
        """
        if self.format is DocumentFormat.UBL_CREDIT_NOTE or (self.type_code or "").strip() in CREDIT_NOTE_TYPES:
            return CREDIT_NOTE
        return INVOICE

    @property
    def issue_year(self) -> int | None:
        return self.issue_date.year if self.issue_date else None

    @property
    def supplier_key(self) -> str | None:
        """The identifier that names the supplier for duplicate detection and the ledger.

        SIRET (0009) first, then SIREN (0002), then any party or legal identifier, then the VAT number: the same
        order Chorus Pro uses to tell which structure issued an invoice.
        """
        found = self.seller.identifier("0009") or self.seller.identifier("0002") or self.seller.identifier()
        if found is not None:
            return found.value
        return self.seller.vat_id

    @property
    def recipient_key(self) -> str | None:
        """The recipient structure identifier (BT-46, SIRET for a French public buyer)."""
        found = self.buyer.identifier("0009") or self.buyer.identifier()
        return found.value if found is not None else None

    def where(self, path: str) -> str | None:
        """The source location of a field path, or of the closest enclosing path that has one."""
        while path:
            if path in self.locations:
                return self.locations[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


@dataclass(slots=True)
class Finding:
    """One thing a check found: which rule, how serious, on which field, where, and what to do about it."""

    rule: str
    severity: Severity
    message_en: str
    message_fr: str
    hint: str = ""
    bt: str = ""  # business terms concerned, e.g. "BT-112, BT-109"
    field: str = ""  # field path in the model
    location: str | None = None  # where in the source (XPath or CSV row/column)
    value: str | None = None  # the offending value, as found
    source: str = "native"  # "native", "xsd", or the official artifact that reported it (strict mode)

    def as_dict(self) -> dict[str, str | None]:
        """The stable JSON shape other tools read (see `edi-gateway validate --json`)."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "bt": self.bt,
            "field": self.field,
            "location": self.location,
            "value": self.value,
            "message_fr": self.message_fr,
            "message_en": self.message_en,
            "hint": self.hint,
            "source": self.source,
        }


@dataclass(slots=True)
class Verdict:
    """What the gateway decided for one invoice, with every finding behind the decision."""

    origin: Origin
    decision: Decision
    findings: list[Finding]
    invoice: Invoice | None = None  # None when the member could not be read as an invoice at all
    sha256: str | None = None  # of the invoice's own bytes (the member, or the file for single files)
    reason_code: str | None = None  # platform reason of a rejection (REJ_SEMAN, DOUBLON, SIRET_ERR, IRR_*...)
    route: Route | None = None  # where the invoice goes (routing/router.py); None when nothing is routed
    raw: bytes | None = None  # an accepted invoice's bytes as deposited, until the pipeline has staged them
