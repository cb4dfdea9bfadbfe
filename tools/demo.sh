#!/usr/bin/env bash
# The demo on samples/: the directory of public structures, five depositors and their inboxes, one run.
# `make demo` runs `tools/demo.sh all demo`; tests/test_samples.py runs the same steps.
#
#   tools/demo.sh setup   DIR   fresh DIR: import the sample directory, register the depositors, attach them
#   tools/demo.sh deposit DIR   copy each sample into the inbox of the depositor that sends it
#   tools/demo.sh run     DIR [OPTIONS]   one `edi-gateway run` over every inbox (options passed on, e.g. --json)
#   tools/demo.sh all     DIR   setup, deposit, run
#
# EDI_GATEWAY names the command to call (default: .venv/bin/edi-gateway).
set -euo pipefail

step=${1:?usage: tools/demo.sh setup|deposit|run|all DIR}
demo=${2:?usage: tools/demo.sh setup|deposit|run|all DIR}
shift 2
samples=$(cd "$(dirname "$0")/../samples" && pwd)
read -r -a gateway <<< "${EDI_GATEWAY:-.venv/bin/edi-gateway}"
db="sqlite:///$demo/ledger.sqlite3"

gw() { "${gateway[@]}" "$@"; }

setup() {
    rm -rf "$demo" && mkdir -p "$demo/inbox"
    gw directory import "$samples/annuaire/structures.csv" "$samples/annuaire/services.csv" --db "$db"
    # Suppliers depositing their own invoices. Durand's system acts for its whole company (SIREN).
    gw depositor add durand --name "Bâtiments Durand SAS" --kind supplier --db "$db"
    gw depositor attach durand 324567890 --role principal --db "$db"
    gw depositor add lemoine --name "Informatique Lemoine SARL" --kind supplier --db "$db"
    gw depositor attach lemoine 78190456000021 --role principal --db "$db"
    gw depositor add nettoyage --name "Nettoyage Services Ouest" --kind supplier --db "$db"
    gw depositor attach nettoyage 44012378400033 --role principal --acts-as supplier,subcontractor --db "$db"
    # Accounting firms depositing for their clients.
    gw depositor add cabinet-martin --name "Cabinet Martin Expertise" --kind accounting-firm --db "$db"
    gw depositor attach cabinet-martin 51234987900019 --role secondary --db "$db"
    gw depositor attach cabinet-martin 78190456000021 --role secondary --db "$db"
    gw depositor add cabinet-lefevre --name "Cabinet Lefèvre & Associés" --kind accounting-firm --db "$db"
    gw depositor attach cabinet-lefevre 32456789000011 --role secondary --db "$db"
    gw depositor attach cabinet-lefevre 44012378400033 --role secondary --db "$db"
    gw depositor list --db "$db"
}

deposit_as() {
    local depositor=$1; shift
    mkdir -p "$demo/inbox/$depositor"
    for name in "$@"; do cp "$samples/$name" "$demo/inbox/$depositor/"; done
}

deposit() {
    deposit_as durand durand-facture-BD-2026-0142.xml durand-facture-BD-2026-0150-sans-date.xml \
        durand-facture-BD-2026-0147-siret-invalide-cii.xml durand-etat-acompte-BD-2026-0170-travaux.xml
    deposit_as lemoine lemoine-facture-IL-2026-0071.xml lemoine-avoir-IL-2026-0077.xml \
        lemoine-facture-IL-2026-0083-total-errone.xml lemoine-facture-IL-2026-0101-destinataire-inconnu.xml \
        lemoine-facture-IL-2026-0102-sans-service.xml
    deposit_as nettoyage nettoyage-facture-NSO-2026-0121.xml nettoyage-facture-NSO-2026-0118-cii.xml \
        nettoyage-facture-NSO-2026-0140-sous-traitance.xml scan-sans-facturx.pdf
    deposit_as cabinet-martin cabinet-martin-lignes.csv martin-facturx-FBM-2026-0215.pdf
    # The November lot for the Commune holds a Martin invoice: Lefèvre is not attached to Martin.
    deposit_as cabinet-lefevre cabinet-lefevre-factures.csv lot-mairie-belleville-2026-11.zip
}

run() {
    gw run --inbox "$demo/inbox" --outbox "$demo/outbox" --db "$db" "$@"
}

case $step in
    setup) setup ;;
    deposit) deposit ;;
    run) run "$@" ;;
    all) setup && deposit && run "$@" ;;
    *) echo "tools/demo.sh: unknown step $step" >&2; exit 2 ;;
esac
