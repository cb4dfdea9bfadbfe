# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo

.PHONY: demo test install install-test system-packages bench rules-doc clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python system-packages
	$(BIN)/pip install --quiet -e '.[test]'

# System packages the tests need, installed only when missing (CI runs as root on a fresh machine).
SYSTEM_PACKAGES := chromium chromium-driver openssh-server postgresql
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi

# The main job on samples/: a fresh demo folder with the sample directory of public structures and five depositors,
# each sample copied into the inbox of the depositor that sends it, one run, SQLite ledger (see tools/demo.sh).
demo: install
	EDI_GATEWAY=$(BIN)/edi-gateway tools/demo.sh all $(DEMO)
	@echo "Ledger: $(DEMO)/ledger.sqlite3   Routed: $(DEMO)/outbox/routed/   Reports: $(DEMO)/outbox/reports/   Archive: $(DEMO)/archive/   Quarantine: $(DEMO)/quarantine/"

test: install-test
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/pipeline.py 1000
	$(BIN)/python benchmarks/rules.py 1000 --official 200

rules-doc: install
	$(BIN)/edi-gateway rules --markdown > docs/rules.md

clean:
	rm -rf $(DEMO) .pytest_cache
