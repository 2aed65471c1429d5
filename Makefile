# cephalog: `make run` and `make test` are all you need (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
HOST ?= 127.0.0.1
PORT ?= 8000
SITE_URL ?= http://$(HOST):$(PORT)
DEMO_PATIENTS ?= 40

.PHONY: help
help:
	@echo "make run     set up (first time), load the demo clinic, serve http://$(HOST):$(PORT)"
	@echo "make test    everything CI checks: lint, types, migrations, tests (unit + browser)"
	@echo "make check   lint, format, type, migration and architecture checks (no test suite)"
	@echo "make e2e     browser tests only"
	@echo "make bench   performance figures, not tests (QUICK=1 for a smoke run; docs/performance.md)"
	@echo "make fuzz    schemathesis against the API as every persona (~10,000 requests)"
	@echo "make drill   restore drills (SQLite, PostgreSQL) and make faults"
	@echo "make faults  SIGKILL a throwaway PostgreSQL under write load, prove nothing is lost"
	@echo "make scaleout  primary+replica, 2 app servers behind HAProxy, Redis, failover, Dask (docs/scaling.md)"

# --- environment -----------------------------------------------------------
$(TOOLS)/bin/uv:
	@py=$$(scripts/find-python) || exit 1; \
	if command -v uv >/dev/null 2>&1; then \
	  mkdir -p $(TOOLS)/bin && ln -sf "$$(command -v uv)" $(TOOLS)/bin/uv; \
	else \
	  echo "Installing uv into $(TOOLS) with $$py"; \
	  "$$py" -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv; \
	fi

$(BIN)/.synced: pyproject.toml uv.lock | $(TOOLS)/bin/uv
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  py=$$(scripts/find-python) || exit 1; \
	  echo "Creating $(VENV) with $$py"; \
	  $(TOOLS)/bin/uv venv --quiet --allow-existing --python "$$py" $(VENV); \
	fi
	$(TOOLS)/bin/uv sync --frozen --quiet --compile-bytecode
	@# Byte-compiled once here: PYTHONDONTWRITEBYTECODE machines never cache it themselves.
	$(BIN)/python -m compileall -q src
	@touch $@

# A development checkout asks for development mode (the built-in key, console email) with
# this marker in its virtualenv; production installs (uv sync --no-dev, pip) have none.
$(VENV)/cephalog-dev:
	@touch $@

.PHONY: install
install: $(BIN)/.synced $(VENV)/cephalog-dev

# pytest keeps each test module it rewrites for its assertions (and Python each module it
# compiles) in __pycache__; with PYTHONDONTWRITEBYTECODE set (some machines, CI) nothing
# is kept and every test process rewrites all ~280 test modules again, ~8 s of CPU each.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

# --- run ---------------------------------------------------------------------
.PHONY: run
# Links in calendar feeds and emails use SITE_URL: the address served here unless set.
run: install
	$(BIN)/cephalog migrate --no-input -v 0
	SITE_URL=$(SITE_URL) $(BIN)/cephalog demo --if-empty --patients $(DEMO_PATIENTS) --seed 1
	@echo ""
	@echo "cephalog is starting on http://$(HOST):$(PORT)"
	@echo "Demo logins (password for all: demo-cephalog-2026):"
	@echo "  physician        Dr Alex Morgan, physician (injector), Demo Headache Centre"
	@echo "  nurse            Sam Patel, nurse"
	@echo "  admin            Jordan Lee, clinic admin"
	@echo "  patient          a patient mid-treatment (use a phone-sized window)"
	@echo "  other-physician  a physician at another clinic (sees none of the above)"
	@echo "Staff also need a code from an authenticator app; for the demo's staff print the"
	@echo "current code with: .venv/bin/cephalog mfa-code physician"
	@echo "Reminders, red-flag alerts and invitations are emailed to this console."
	@echo ""
	SITE_URL=$(SITE_URL) $(BIN)/cephalog devserver $(HOST):$(PORT)

# --- checks ------------------------------------------------------------------
.PHONY: lint
lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench

.PHONY: types
types: install
	$(BIN)/mypy

.PHONY: migrations
migrations: install
	CEPHALOG_DATA_DIR=$$(mktemp -d) $(BIN)/cephalog makemigrations --check --dry-run

# The architecture (docs/adr/0012-layers.md): apps import one way (import-linter contracts
# in pyproject.toml) and every model write is in an actions module (tests/architecture).
.PHONY: architecture
architecture: install
	$(BIN)/lint-imports --no-cache
	$(PYTEST) -q -p no:randomly -p no:xdist tests/architecture tests/test_architecture.py

.PHONY: check
check: lint types migrations architecture

.PHONY: browser
browser:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null || \
	  { echo "Could not install chromium: run 'apt-get install chromium' as root"; exit 1; }; }
	@# WeasyPrint subsets fonts with HarfBuzz (smaller PDFs); without it, it warns (an error in tests).
	@ldconfig -p | grep -q libharfbuzz-subset.so.0 || { echo "Installing Debian's libharfbuzz-subset0 for PDFs"; \
	  (apt-get update -qq && apt-get install -y -qq libharfbuzz-subset0) >/dev/null || \
	  { echo "Could not install libharfbuzz-subset0: run 'apt-get install libharfbuzz-subset0' as root"; exit 1; }; }
	@# The PDF tests rasterise letters and forms (pdftoppm) and read them back (pdftotext).
	@command -v pdftoppm >/dev/null || { echo "Installing Debian's poppler-utils for the PDF tests"; \
	  (apt-get update -qq && apt-get install -y -qq poppler-utils) >/dev/null || \
	  { echo "Could not install poppler-utils: run 'apt-get install poppler-utils' as root"; exit 1; }; }
	@# The independent FHIR R4 validator (HL7's JSON schema and fhirpath.js) runs with Node.
	@test -d tests/fhir_validator/node_modules/fhirpath || { echo "Installing the FHIR validator (npm ci)"; \
	  npm ci --no-audit --no-fund --prefix tests/fhir_validator >/dev/null || \
	  { echo "Could not install tests/fhir_validator: run 'npm ci --prefix tests/fhir_validator'"; exit 1; }; }

.PHONY: unit
unit: install
	$(PYTEST) -m "not e2e" -n 2 --dist worksteal -q

.PHONY: e2e
e2e: install browser
	$(PYTEST) -m e2e -q

# --dist worksteal: a worker that runs out of tests takes some of the other's (the
# browser tests, a few seconds each, otherwise tend to end up on one worker): pytest
# took 320 s instead of about 380 s on a 2-core AMD EPYC.
.PHONY: test
test: check browser
	$(PYTEST) -n 2 --dist worksteal -q

# make bench               every area, full sizes; writes docs/performance.md (~15 min)
# make bench QUICK=1       small sizes, a smoke run; writes test-artifacts/bench/
# make bench ONLY=analytics,assess
.PHONY: bench
bench: install
	$(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

# --- reliability (docs/reliability.md): long versions of tests/security and tests/ops ---
.PHONY: fuzz
fuzz: install
	$(BIN)/python scripts/fuzz.py

.PHONY: faults
faults: install
	$(BIN)/python scripts/faults.py

# Scale-out drill (docs/scaling.md): starts and stops everything itself, on loopback;
# installs haproxy (and redis-server if none answers on 6379) from Debian. Not in `make test`.
.PHONY: scaleout
scaleout: install
	$(BIN)/python scripts/scaleout.py

.PHONY: drill
drill: install
	$(BIN)/python scripts/drill.py
	$(BIN)/python scripts/faults.py

.PHONY: clean
clean:
	rm -rf $(VENV) $(TOOLS) staticfiles test-artifacts
