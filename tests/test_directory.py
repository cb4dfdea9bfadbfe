"""The directory of public structures: reading exports, importing them into the ledger, the `directory` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from stdnum.fr import siret

from edi_gateway.cli import main
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.directory import import_directory, lookup_structures, show_structure, structure_count
from edi_gateway.ledger.models import DirectoryImportRow, ServiceRow, StructureRow
from edi_gateway.routing.directory import NotADirectoryExport, open_export, read_flag, read_records
from edi_gateway.routing.structures import Service, Structure

from .conftest import SAMPLES

STRUCTURES_CSV = SAMPLES / "annuaire" / "structures.csv"
SERVICES_CSV = SAMPLES / "annuaire" / "services.csv"
COMMUNE, DEPARTEMENT, SYNDICAT = "21713000400013", "21300785900019", "20069000600016"

STRUCTURES_HEADER = ("TypeIdentifiant;Identifiant;RaisonSociale;EmetteurEdi;RecepteurEdi;GestionStatutMiseEnPaiement;"
                     "GestionEngagement;GestionService;GestionServiceEngagement;EstMOA;EstMOAUniquement;"
                     "StructureActive;Adresse;ComplementAdresse1;ComplementAdresse2;CodePostal;Ville;NumTelephone;"
                     "Courriel;CodePays;LibellePays")
SERVICES_HEADER = ("idService;Identifiant;RaisonSociale;Code;Nom;GestionEGMT;ServiceActif;Adresse;ComplementAdresse1;"
                   "ComplementAdresse2;CodePostal;Ville;CodePays;LibellePays")


def structure_line(identifier: str, name: str, *, engagement: str = "false", service: str = "false",
                   works: str = "false", active: str = "true") -> str:
    return (f"SIRET;{identifier};{name};false;false;false;{engagement};{service};false;{works};false;{active};"
            f"1 place de la Mairie;;;69000;Lyon;;;FR;France")


def service_line(structure: str, code: str, name: str, *, engagement: str = "false", active: str = "true",
                 external_id: str = "") -> str:
    return f"{external_id};{structure};Structure;{code};{name};{engagement};{active};;;;;;FR;France"


def write(path: Path, header: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path}/ledger.sqlite3")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/ledger.sqlite3"


@pytest.fixture
def sample_ledger(ledger: Ledger) -> Ledger:
    import_directory(ledger, STRUCTURES_CSV)
    import_directory(ledger, SERVICES_CSV)
    return ledger


# -- the sample files ------------------------------------------------------------------------------------------
def test_the_sample_directory_is_imported_whole(ledger):
    structures = import_directory(ledger, STRUCTURES_CSV)
    services = import_directory(ledger, SERVICES_CSV)

    assert (structures.kind, structures.rows, structures.added, structures.skipped) == ("structures", 21, 21, 0)
    assert (services.kind, services.rows, services.added, services.skipped) == ("services", 28, 28, 0)
    assert structure_count(ledger) == 21


def test_every_sample_siret_is_valid():
    records = list(read_records(open_export(STRUCTURES_CSV)))
    assert records and all(siret.is_valid(record.identifier) for record in records)


def test_the_three_sample_recipients_have_their_flags_and_services(sample_ledger):
    found = lookup_structures(sample_ledger, [COMMUNE, DEPARTEMENT, SYNDICAT])

    commune, departement, syndicat = found[COMMUNE], found[DEPARTEMENT], found[SYNDICAT]
    assert commune.name == "Commune de Belleville-sur-Saône"
    assert (commune.active, commune.service_required, commune.engagement_required, commune.works_space_open) == (
        True, True, False, False)
    assert commune.services == {
        "SERV-TECH": Service("SERV-TECH", "Services techniques", active=True),
        "FINANCES": Service("FINANCES", "Direction des finances", active=True),
        "CCAS": Service("CCAS", "Centre communal d'action sociale", active=False),
    }
    assert (departement.service_required, departement.engagement_required, departement.works_space_open) == (
        True, False, True)
    assert departement.service("DIR-BATIMENTS") == Service("DIR-BATIMENTS", "Direction des bâtiments",
                                                           engagement_required=True)
    assert set(departement.services) == {"DIR-BATIMENTS", "DIR-ROUTES", "DIR-COLLEGES"}
    assert syndicat == Structure(SYNDICAT, "Syndicat intercommunal des eaux de l'Exemple")


def test_the_sample_covers_every_flag():
    records = list(read_records(open_export(STRUCTURES_CSV)))
    assert any(not r.active for r in records)
    for flag in ("engagement_required", "service_or_engagement", "works_only"):
        assert any(getattr(r, flag) for r in records), flag


def test_lookup_returns_only_what_is_asked_and_knows_nothing_of_unknown_identifiers(sample_ledger):
    found = lookup_structures(sample_ledger, [COMMUNE, "99999999999999", None, COMMUNE])
    assert list(found) == [COMMUNE]
    assert isinstance(found[COMMUNE], Structure)


def test_lookup_splits_long_lists_of_identifiers(sample_ledger):
    identifiers = [f"{n:014d}" for n in range(1200)] + [DEPARTEMENT]
    assert list(lookup_structures(sample_ledger, identifiers)) == [DEPARTEMENT]


def test_the_import_is_recorded_with_the_file_hash(sample_ledger):
    with sample_ledger.session() as session:
        imports = session.scalars(select(DirectoryImportRow).order_by(DirectoryImportRow.id)).all()
    assert [(i.kind, i.file_name, i.added) for i in imports] == [("structures", "structures.csv", 21),
                                                                 ("services", "services.csv", 28)]
    assert all(len(i.sha256) == 64 for i in imports)


def test_importing_the_same_export_again_changes_nothing(sample_ledger):
    again = import_directory(sample_ledger, STRUCTURES_CSV)
    assert (again.added, again.updated, again.unchanged, again.deactivated) == (0, 0, 21, 0)


# -- re-imports --------------------------------------------------------------------------------------------------
def test_a_new_export_updates_in_place_and_makes_absent_structures_inactive(tmp_path, ledger):
    first = write(tmp_path / "v1.csv", STRUCTURES_HEADER, [
        structure_line("21690123100011", "Commune de Saint-Martin-l'Exemple"),
        structure_line("21380456000018", "Commune de Bourg-l'Exemple"),
        structure_line("21010789200015", "Commune de Vieux-Exemple"),
        structure_line("21740999400019", "Commune de Lac-Exemple", active="false"),
    ])
    import_directory(ledger, first)
    import_directory(ledger, write(tmp_path / "services.csv", SERVICES_HEADER, [
        service_line("21010789200015", "MAIRIE", "Mairie"),
    ]))
    with ledger.session() as session:
        ids_before = dict(session.execute(select(StructureRow.identifier, StructureRow.id)).all())

    second = write(tmp_path / "v2.csv", STRUCTURES_HEADER, [
        structure_line("21690123100011", "Commune nouvelle de Saint-Martin-l'Exemple"),  # renamed
        structure_line("21380456000018", "Commune de Bourg-l'Exemple", engagement="true"),  # a flag changed
    ])  # Vieux-Exemple is gone; Lac-Exemple, already inactive, too
    summary = import_directory(ledger, second)

    assert (summary.added, summary.updated, summary.unchanged, summary.deactivated) == (0, 2, 0, 1)
    found = lookup_structures(ledger, ids_before)
    assert len(found) == 4  # nothing deleted
    assert found["21690123100011"].name == "Commune nouvelle de Saint-Martin-l'Exemple"
    assert found["21380456000018"].engagement_required is True
    assert found["21010789200015"].active is False
    assert found["21010789200015"].services == {"MAIRIE": Service("MAIRIE", "Mairie")}  # its services are kept
    with ledger.session() as session:
        assert dict(session.execute(select(StructureRow.identifier, StructureRow.id)).all()) == ids_before


def test_services_absent_from_a_new_services_export_become_inactive(tmp_path, sample_ledger):
    summary = import_directory(sample_ledger, write(tmp_path / "services.csv", SERVICES_HEADER, [
        service_line(COMMUNE, "SERV-TECH", "Services techniques", external_id="10245001"),
        service_line(COMMUNE, "FINANCES", "Direction des finances et de la commande publique",
                     external_id="10245002"),
        service_line(COMMUNE, "CCAS", "Centre communal d'action sociale", active="false", external_id="10245003"),
    ]))

    assert (summary.updated, summary.unchanged) == (1, 2)
    assert summary.deactivated == 28 - 3 - 1  # every other active service (the university's library was inactive)
    departement = lookup_structures(sample_ledger, [DEPARTEMENT])[DEPARTEMENT]
    assert set(departement.services) == {"DIR-BATIMENTS", "DIR-ROUTES", "DIR-COLLEGES"}
    assert not any(service.active for service in departement.services.values())
    commune = lookup_structures(sample_ledger, [COMMUNE])[COMMUNE]
    assert commune.services["FINANCES"].name == "Direction des finances et de la commande publique"


def test_a_service_of_an_unknown_structure_is_skipped_with_its_reason(tmp_path, sample_ledger):
    summary = import_directory(sample_ledger, write(tmp_path / "services.csv", SERVICES_HEADER, [
        service_line(COMMUNE, "SERV-TECH", "Services techniques", external_id="10245001"),
        service_line("11111111111111", "ACHATS", "Achats"),
    ]))

    assert (summary.rows, summary.unchanged, summary.skipped) == (2, 1, 1)
    assert "row 3" in summary.problems[0] and "11111111111111" in summary.problems[0]
    assert "not in the directory" in summary.problems[0]
    with sample_ledger.session() as session:
        assert session.scalar(select(ServiceRow).where(ServiceRow.code == "ACHATS",
                                                       ServiceRow.name == "Achats")) is None


def test_an_export_whose_rows_are_all_unreadable_makes_nothing_inactive(tmp_path, sample_ledger):
    summary = import_directory(sample_ledger, write(tmp_path / "structures.csv", STRUCTURES_HEADER, [
        structure_line(COMMUNE, "Commune de Belleville-sur-Saône", active="?")]))

    assert (summary.skipped, summary.deactivated) == (1, 0)
    assert summary.problems[-1] == "no row could be read: no structure was made inactive"
    assert lookup_structures(sample_ledger, [DEPARTEMENT])[DEPARTEMENT].active is True


def test_an_export_with_no_data_row_is_refused_and_changes_nothing(tmp_path, sample_ledger, capsys):
    empty = write(tmp_path / "structures.csv", STRUCTURES_HEADER, [])
    with pytest.raises(NotADirectoryExport, match="holds no data row"):
        import_directory(sample_ledger, empty)
    assert main(["directory", "import", str(empty), "--db", sample_ledger.url]) == 2

    assert "holds no data row" in capsys.readouterr().err
    assert lookup_structures(sample_ledger, [COMMUNE])[COMMUNE].active is True
    with sample_ledger.session() as session:
        assert len(session.scalars(select(DirectoryImportRow)).all()) == 2  # the sample's two imports only


# -- reading -------------------------------------------------------------------------------------------------------
def test_a_bad_flag_skips_its_row_and_the_rest_is_imported(tmp_path, ledger):
    path = write(tmp_path / "structures.csv", STRUCTURES_HEADER, [
        structure_line("21690123100011", "Commune de Saint-Martin-l'Exemple"),
        structure_line("21380456000018", "Commune de Bourg-l'Exemple", service="peut-être"),
        structure_line("", "Commune sans identifiant"),
        structure_line("21010789200015", "Commune de Vieux-Exemple", service="OUI", engagement="Non"),
    ])
    summary = import_directory(ledger, path)

    assert (summary.rows, summary.added, summary.skipped) == (4, 2, 2)
    assert summary.problems[0] == ("row 3, column GestionService: 'peut-être': not a yes/no value (expected "
                                   "true/false, oui/non, vrai/faux, 1/0, o/n, y/n, yes/no or empty)")
    assert summary.problems[1].startswith("row 4, column Identifiant:")
    assert lookup_structures(ledger, ["21010789200015"])["21010789200015"].service_required is True


def test_a_structure_listed_twice_or_with_a_value_too_long_for_the_ledger_is_skipped(tmp_path, ledger):
    summary = import_directory(ledger, write(tmp_path / "structures.csv", STRUCTURES_HEADER, [
        structure_line("21690123100011", "Commune de Saint-Martin-l'Exemple"),
        structure_line("21690123100011", "Commune de Saint-Martin-l'Exemple (bis)"),
        structure_line("2" * 101, "Commune au trop long identifiant"),
    ]))

    assert (summary.added, summary.skipped) == (1, 2)
    assert summary.problems[0].startswith("row 3, column Identifiant: '21690123100011': listed again (first at row 2)")
    assert summary.problems[1].startswith("row 4, column Identifiant:")
    assert summary.problems[1].endswith("longer than 100 characters")


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("FALSE", False), ("Oui", True), ("non", False), ("VRAI", True), ("faux", False), ("1", True),
    ("0", False), ("o", True), ("N", False), ("y", True), ("Yes", True), ("no", False), ("", False), (" oui ", True),
])
def test_flags_read_every_usual_spelling(value, expected):
    assert read_flag(value) is expected


def test_spelled_out_headers_in_cp1252_are_accepted(tmp_path, ledger):
    header = ("Type d'identifiant,Identifiant,Raison sociale,Émetteur EDI,Récepteur EDI,Gestion engagement,"
              "Gestion service,Gestion service engagement,Est MOA,Est MOA uniquement,Structure active,Adresse,"
              "Complément adresse 1,Code postal,Ville,Code pays")
    path = write(tmp_path / "annuaire.csv", header, [
        'SIRET,21690123100011,Commune de Saint-Martin-l\'Exemple,non,non,oui,non,non,non,non,oui,"Mairie, 1 place",'
        'Bâtiment A,69210,Saint-Martin-l\'Exemple,fr',
    ], encoding="cp1252")
    export = open_export(path)
    assert (export.kind, export.encoding, export.delimiter) == ("structures", "cp1252", ",")

    import_directory(ledger, path)
    details = show_structure(ledger, "21690123100011")
    assert details.structure.name == "Commune de Saint-Martin-l'Exemple"
    assert details.structure.engagement_required is True and details.structure.service_required is False
    assert details.structure.address == "Mairie, 1 place\nBâtiment A"
    assert details.structure.country_code == "FR"


def test_spelled_out_service_headers_with_a_bom(tmp_path):
    path = write(tmp_path / "services.csv", "Identifiant;Code service;Nom du service;Gestion EGMT;Service actif",
                 [f"{COMMUNE};SERV-TECH;Services techniques;non;oui"], encoding="utf-8-sig")
    records = list(read_records(open_export(path)))
    assert [(r.structure_identifier, r.code, r.active, r.engagement_required) for r in records] == [
        (COMMUNE, "SERV-TECH", True, False)]


def test_a_row_with_too_many_cells_is_skipped_and_later_rows_keep_their_numbers(tmp_path):
    path = write(tmp_path / "services.csv", SERVICES_HEADER, [
        service_line(COMMUNE, "A", "Un"),
        service_line(COMMUNE, "B", "Deux; trois"),  # an unquoted delimiter: one cell too many
        service_line(COMMUNE, "C", "Quatre", engagement="perhaps"),
    ])
    records = [str(r) for r in read_records(open_export(path), chunk_rows=1)]
    assert records[1].startswith("row 3: more cells than the 14 of the header")
    assert records[2].startswith("row 4, column GestionEGMT: 'perhaps'")


def test_a_file_that_is_not_an_export_says_which_columns_are_missing(tmp_path):
    path = write(tmp_path / "factures.csv", "N° facture;Date;SIRET destinataire;Code service", ["F1;2026-01-01;x;y"])
    with pytest.raises(NotADirectoryExport) as caught:
        open_export(path)
    message = str(caught.value)
    assert "factures.csv: not a directory export" in message
    assert "StructureActive" in message and "ServiceActif" in message


# -- the commands ----------------------------------------------------------------------------------------------
def test_directory_import_prints_one_row_per_file_structures_first(db_url, capsys):
    assert main(["directory", "import", str(SERVICES_CSV), str(STRUCTURES_CSV), "--db", db_url]) == 0

    out = capsys.readouterr().out
    assert out.index("structures.csv") < out.index("services.csv")
    assert "│ structures │   21 │    21 │" in out
    assert "│ services   │   28 │    28 │" in out


def test_directory_import_lists_the_first_problems(tmp_path, db_url, capsys):
    path = write(tmp_path / "structures.csv", STRUCTURES_HEADER, [
        structure_line("21690123100011", "Commune de Saint-Martin-l'Exemple", works="maybe")])
    assert main(["directory", "import", str(path), "--db", db_url, "--json"]) == 0

    [summary] = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["skipped"]) == (1, 1)
    assert summary["problems"][0].startswith("row 2, column EstMOA: 'maybe'")


def test_directory_import_of_a_file_that_is_not_an_export_exits_2_and_imports_nothing(tmp_path, db_url, capsys):
    invoices = SAMPLES / "cabinet-martin-lignes.csv"
    assert main(["directory", "import", str(STRUCTURES_CSV), str(invoices), "--db", db_url]) == 2
    assert main(["directory", "import", str(tmp_path / "absent.csv"), "--db", db_url]) == 2

    err = capsys.readouterr().err
    assert "cabinet-martin-lignes.csv: not a directory export" in err
    assert "absent.csv: cannot read the file" in err
    assert "nothing imported" in err
    assert structure_count(Ledger(db_url)) == 0


def test_directory_import_takes_the_database_from_the_configuration(tmp_path, capsys):
    config = tmp_path / "gateway.toml"
    config.write_text('[gateway]\ndatabase = "sqlite:///%s"\n' % (tmp_path / "from-config.sqlite3"))
    assert main(["directory", "import", str(STRUCTURES_CSV), "--config", str(config)]) == 0
    assert structure_count(Ledger(f"sqlite:///{tmp_path / 'from-config.sqlite3'}")) == 21


def test_directory_show_prints_the_flags_in_words_and_the_services(db_url, capsys):
    main(["directory", "import", str(STRUCTURES_CSV), str(SERVICES_CSV), "--db", db_url])
    capsys.readouterr()

    assert main(["directory", "show", DEPARTEMENT, "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "Département du Val-Exemple — SIRET 21300785900019" in out
    for label, word in (("service required (GestionService)", "yes"), ("engagement required (GestionEngagement)",
                                                                        "no"),
                        ("works space open (EstMOA)", "yes"), ("works only (EstMOAUniquement)", "no"),
                        ("active", "yes")):
        assert any(line.startswith(label) and line.split()[-1] == word for line in out.splitlines()), label
    assert "DIR-BATIMENTS" in out and "Direction des bâtiments" in out


def test_directory_show_as_json(db_url, capsys):
    main(["directory", "import", str(STRUCTURES_CSV), str(SERVICES_CSV), "--db", db_url])
    capsys.readouterr()

    assert main(["directory", "show", COMMUNE, "--db", db_url, "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert (entry["service_required"], entry["engagement_required"], entry["works_space_open"]) == (True, False,
                                                                                                   False)
    assert [(s["code"], s["active"]) for s in entry["services"]] == [("CCAS", False), ("FINANCES", True),
                                                                     ("SERV-TECH", True)]
    assert entry["last_import"]["file"] == "structures.csv"


def test_directory_show_of_an_unknown_identifier_exits_1(db_url, capsys):
    assert main(["directory", "show", "99999999999999", "--db", db_url]) == 1
    assert "no structure 99999999999999 in the directory" in capsys.readouterr().err
