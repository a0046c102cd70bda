# libnet: `make demo` builds the union catalogue from demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# What the tests start on 127.0.0.1: Zebra (SRU/Z39.50), PostgreSQL, Chromium (pages).
DEBIAN_PACKAGES := idzebra-2.0 yaz postgresql chromium slapd ldap-utils redis-server
DEMO_TITLES ?= 2000
# where `make demo` serves the catalogue on 127.0.0.1: make demo PORT=8081
PORT ?= 8080

.PHONY: install demo demo-accounts test system-deps lint bench bench-web bench-load fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/libnet demo-data --titles $(DEMO_TITLES) demo-data
	$(BIN)/libnet nightly --config config.toml
	@$(MAKE) --no-print-directory demo-accounts
	@echo
	@echo "The nightly run harvested the demo catalogue into var/, grouped and indexed it. Try:"
	@echo "  $(BIN)/libnet search glück auf --home marl      # one hit per edition, Marl's copies first"
	@echo "  $(BIN)/libnet runs                      # what each harvest did"
	@echo "  $(BIN)/libnet records stats             # records per library"
	@echo "  $(BIN)/libnet runs --rejects RUN        # the broken records of a run, and why"
	@echo "  $(BIN)/libnet records show marl 300002 --json"
	@echo "  $(BIN)/libnet clusters show marl:300002  # the libraries that hold the same edition"
	@echo
	@echo "The catalogue is served on http://127.0.0.1:$(PORT) (Ctrl-C stops it):"
	$(BIN)/libnet serve --config config.toml --port $(PORT)

# Demo accounts of the loan network, each with the password $(DEMO_PASSWORD); made once.
DEMO_PASSWORD := demo-passwort
DEMO_ACCOUNTS := "patron datteln Anna Demo D0001" "librarian datteln Datteln Theke -" \
                 "librarian herten Herten Theke -" "admin kreis Kreis Verbund -"
demo-accounts: install
	@for account in $(DEMO_ACCOUNTS); do \
	  set -- $$account; role=$$1; library=$$2; name="$$3 $$4"; card=$$5; \
	  login=$$name; [ "$$card" = - ] || login=$$card; \
	  if $(BIN)/libnet users list --config config.toml --json | grep -q "\"$$login\""; then continue; fi; \
	  if [ "$$card" = - ]; then \
	    printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/libnet users add --config config.toml --role $$role \
	      --library $$library --name "$$name" --password-stdin; \
	  else \
	    printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/libnet users add --config config.toml --role $$role \
	      --library $$library --name "$$name" --card $$card --password-stdin; \
	  fi || exit 1; \
	done
	@echo "Demo logins (password $(DEMO_PASSWORD)): patron card D0001 of Datteln;"
	@echo "  librarians 'Datteln Theke' and 'Herten Theke'; administrator 'Kreis Verbund'."

# Installs the Debian packages the tests use when they are missing (as root, with apt-get).
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "make test: the tests need the Debian packages$$missing;"; \
	    echo "  install them with: sudo apt-get install$$missing"; \
	    echo "  (without them those tests are skipped, and fail when CI=true)"; \
	  fi; \
	fi

# The tests run in one worker process per core, at most four (pytest-xdist): every peer they
# start (PostgreSQL, Zebra, slapd, SIP2, SMTP, Chromium) listens on a free port of its own.
# Work stealing: a worker that runs out of tests takes some of the other's, so one long test
# (the kill -9 ones) at the end does not leave a core idle.
test: install system-deps
	$(BIN)/ruff check libnet harvesters index webapp tests bench
	$(BIN)/ruff format --check libnet harvesters index webapp tests bench
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist worksteal

lint: install
	$(BIN)/ruff format libnet harvesters index webapp tests bench
	$(BIN)/ruff check --fix libnet harvesters index webapp tests bench

bench: install
	$(BIN)/python -m bench.harvest
	$(BIN)/python -m bench.dedup

# search requests per second through `libnet serve` (2 workers); several minutes
bench-web: install
	$(BIN)/python -m bench.web

# 50 simulated users through `libnet serve`, alone and while `libnet nightly` runs; several minutes
bench-load: install
	$(BIN)/python -m bench.load

# every reader of outside data fuzzed, coverage-guided (tests/fuzz): 100,000 inputs, 5 minutes
fuzz: $(VENV)/.fuzz-stamp
	$(BIN)/python -m tests.fuzz.run_atheris

$(VENV)/.fuzz-stamp: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,fuzz]'
	touch $@

clean:
	rm -rf var demo-data .pytest_cache
