"""Mutations for the depositor and routing rules (DEP-xx, ROUTE-xx).

These rules read, besides the invoice, the batch's depositor and the directory entries of the recipient: each
mutation carries a `RoutingContext`. The directory is that of samples/annuaire/ for the three recipients of the
samples, written out here as the values the ledger hands to routing, so that each mutation states the flag it
changes. The base "fr-ubl" is BD-2026-0142: Bâtiments Durand (SIRET 32456789000011) to the Commune de
Belleville-sur-Saône (21713000400013), service SERV-TECH, engagement EJ-2026-004512, frame A1; deposited by
Durand's own system, attached to its SIRET as a plain supplier. With the default context it routes cleanly
(tests/test_routing.py checks it).
"""

from __future__ import annotations

import dataclasses

from edi_gateway.routing.router import RoutingContext
from edi_gateway.routing.structures import Attachment, Depositor, Service, Structure

from . import insert, mutation, remove, set_text

INVOICE = "/ubl:Invoice"
BUYER = f"{INVOICE}/cac:AccountingCustomerParty/cac:Party"
CII_BUYER = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/" \
            "ram:BuyerTradeParty"

DURAND, LEMOINE, NETTOYAGE = "32456789000011", "78190456000021", "44012378400033"
COMMUNE = Structure("21713000400013", "Commune de Belleville-sur-Saône", service_required=True, services={
    "SERV-TECH": Service("SERV-TECH", "Services techniques"),
    "FINANCES": Service("FINANCES", "Direction des finances"),
    "CCAS": Service("CCAS", "Centre communal d'action sociale", active=False),
})
DEPARTEMENT = Structure("21300785900019", "Département du Val-Exemple", service_required=True,
                        works_space_open=True, services={
                            "DIR-BATIMENTS": Service("DIR-BATIMENTS", "Direction des bâtiments",
                                                     engagement_required=True),
                            "DIR-COLLEGES": Service("DIR-COLLEGES", "Direction de l'éducation et des collèges")})
SYNDICAT = Structure("20069000600016", "Syndicat intercommunal des eaux de l'Exemple")
NOT_IN_DIRECTORY = "21690555400012"  # a valid SIRET the sample directory does not list


def depositor(*suppliers: str, capacities=frozenset({"supplier"}), **fields) -> Depositor:
    return Depositor("durand-si", "Bâtiments Durand, système de facturation", attachments={
        supplier: Attachment(supplier, "principal", frozenset(capacities)) for supplier in suppliers}, **fields)


def routing(commune: Structure = COMMUNE, who: Depositor | None = None) -> RoutingContext:
    """The routing context of the base: its depositor, and the directory with `commune` in place of the Commune."""
    structures = {s.identifier: s for s in (commune, DEPARTEMENT, SYNDICAT)}
    return RoutingContext(who or depositor(DURAND), structures, directory_size=21)


def commune(**flags) -> RoutingContext:
    return routing(dataclasses.replace(COMMUNE, **flags))


def commune_service(code: str, **flags) -> RoutingContext:
    services = {**COMMUNE.services, code: dataclasses.replace(COMMUNE.services[code], **flags)}
    return routing(dataclasses.replace(COMMUNE, services=services))


def frame(code: str):
    return set_text(f"{INVOICE}/cbc:ProfileID", code)


def recipient_siret(siret: str):
    return (set_text(f"{BUYER}/cbc:EndpointID", siret), set_text(f"{BUYER}/cac:PartyIdentification/cbc:ID", siret),
            set_text(f"{BUYER}/cac:PartyLegalEntity/cbc:CompanyID", siret[:9]))


PROJECT_MANAGER = ("<cac:BuyerCustomerParty><cac:Party><cac:PartyIdentification>"
                   "<cbc:ID schemeID=\"0009\">38291047900023</cbc:ID></cac:PartyIdentification>"
                   "<cac:PartyLegalEntity><cbc:RegistrationName>Atelier Arcade Architectes</cbc:RegistrationName>"
                   "</cac:PartyLegalEntity></cac:Party></cac:BuyerCustomerParty>")
WITH_PROJECT_MANAGER = insert(INVOICE, PROJECT_MANAGER, after="cac:AccountingCustomerParty")

MUTATIONS = [
    # depositor
    mutation("DEP-01", why="depositor-attached-to-another-supplier", routing=routing(who=depositor(LEMOINE))),
    mutation("DEP-01", base="fr-cii", why="accounting-firm-not-attached",
             routing=routing(who=depositor(DURAND, LEMOINE))),
    mutation("DEP-02", why="depositor-not-registered",
             routing=routing(who=Depositor("inconnu", registered=False))),
    mutation("DEP-02", why="depositor-inactive", routing=routing(who=depositor(DURAND, active=False))),
    # recipient
    mutation("ROUTE-01", *recipient_siret(NOT_IN_DIRECTORY), why="recipient-not-in-directory", routing=routing()),
    mutation("ROUTE-01", set_text(f"{CII_BUYER}/ram:GlobalID", NOT_IN_DIRECTORY), base="fr-cii",
             why="recipient-not-in-directory", routing=routing(who=depositor(NETTOYAGE))),
    mutation("ROUTE-02", why="recipient-inactive", routing=commune(active=False)),
    # service and engagement
    mutation("ROUTE-03", remove(f"{INVOICE}/cbc:BuyerReference"), why="service-required", routing=routing()),
    mutation("ROUTE-04", set_text(f"{INVOICE}/cbc:BuyerReference", "SERV-TECHNIQUE"), why="service-unknown",
             routing=routing()),
    mutation("ROUTE-04", set_text(f"{INVOICE}/cbc:BuyerReference", "SERV-TECHNIQUE"),
             why="service-unknown-though-optional", routing=commune(service_required=False)),
    mutation("ROUTE-05", set_text(f"{INVOICE}/cbc:BuyerReference", "CCAS"), why="service-inactive",
             routing=routing()),
    mutation("ROUTE-06", remove(f"{INVOICE}/cac:OrderReference"), why="structure-requires-engagement",
             routing=commune(engagement_required=True)),
    mutation("ROUTE-06", remove(f"{INVOICE}/cac:OrderReference"), why="service-requires-engagement",
             routing=commune_service("SERV-TECH", engagement_required=True)),
    mutation("ROUTE-07", remove(f"{INVOICE}/cbc:BuyerReference"), remove(f"{INVOICE}/cac:OrderReference"),
             why="service-or-engagement", routing=commune(service_required=False, service_or_engagement=True)),
    mutation("ROUTE-08", set_text(f"{INVOICE}/cac:OrderReference/cbc:ID", "EJ-" + "0" * 48),
             why="engagement-of-51-characters", routing=routing()),
    # billing frame
    mutation("ROUTE-09", frame("A99"), why="no-such-frame", routing=routing()),
    mutation("ROUTE-09", frame("S1"), why="a-reform-frame", routing=routing()),
    mutation("ROUTE-10", frame("A9"), why="subcontractor-frame-by-a-supplier", routing=routing()),
    mutation("ROUTE-10", frame("A15"), WITH_PROJECT_MANAGER, why="moe-frame-by-a-supplier",
             routing=commune(works_space_open=True)),
    mutation("ROUTE-11", frame("A5"), WITH_PROJECT_MANAGER, why="works-space-closed", routing=routing()),
    mutation("ROUTE-12", frame("A5"), why="works-frame-without-project-manager",
             routing=commune(works_space_open=True)),
    mutation("ROUTE-13", why="works-only-recipient", routing=commune(works_space_open=True, works_only=True)),
    mutation("ROUTE-14", frame("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"), why="peppol-process-id",
             routing=routing()),
]
