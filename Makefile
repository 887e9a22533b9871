# Developer entry points. `make run` and `make test` work on a fresh clone with only python3 and
# GNU gettext installed; everything else comes from requirements*.txt into .venv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
PYTEST_ARGS ?=
# `make test` runs the suite in parallel (pytest-xdist), one worker per core, each with its own test
# database (test_yiling_gw0, ...). A whole test file stays on one worker (--dist loadfile), so a
# module-scoped seeded database is built once; the files are handed out longest first, in the order
# tests/conftest.py gives them (--no-loadscope-reorder). PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto
# Directories Django's i18n commands must not walk into.
I18N_IGNORE := --ignore=$(VENV) --ignore=staticfiles --ignore=media --ignore=node_modules

.PHONY: help venv run test bench lint migrations-check deploy-check messages compilemessages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(PY):
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "python3 not found: install Python 3.11" >&2; exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }

# Re-install only when a requirements file changes. uv (requirements-bootstrap.txt) installs and
# compiles the pinned packages in a few seconds; pip, a few times slower, is the fallback where uv
# cannot be installed or cannot reach the index.
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-bootstrap.txt | $(PY)
	@if $(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bootstrap.txt \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -r requirements-dev.txt; then :; \
	else echo "uv did not install the requirements: installing them with pip" >&2; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt; fi
	@touch $@

venv: $(VENV)/.installed ## Create .venv and install requirements-dev.txt

compilemessages: venv ## Compile locale/*.po to .mo (needs GNU gettext's msgfmt)
	@command -v msgfmt >/dev/null 2>&1 || { \
		echo "msgfmt not found: the Chinese translations cannot be compiled." >&2; \
		echo "Install GNU gettext (Debian/Ubuntu: apt-get install gettext; macOS: brew install gettext)." >&2; \
		exit 1; }
	@if find . -path ./$(VENV) -prune -o -name '*.po' -print | grep -q .; then \
		$(MANAGE) compilemessages $(I18N_IGNORE); \
	else echo "No .po files yet; nothing to compile."; fi

# The one place debug is turned on: settings default to DEBUG off, so a server without it is safe.
run: export DEBUG = 1
run: venv compilemessages ## Migrate, load the demo district and serve on http://127.0.0.1:8000 (debug on)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:8000

test: venv compilemessages ## Run the test suite (extra pytest arguments: PYTEST_ARGS="-k tree -x")
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Benchmarks measure PostgreSQL, so they fail (REQUIRE_SERVICES=1) rather than skip without it; the
# seed_demo benchmark loads the demo into an empty SQLite file of its own, as `make run` does.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/yiling

bench: venv ## Run the benchmarks on PostgreSQL (DATABASE_URL, default $(BENCH_DATABASE_URL))
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" REQUIRE_SERVICES=1 \
		$(VENV)/bin/pytest -m benchmark -o python_files="test_*.py bench_*.py" $(PYTEST_ARGS) tests

PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)

lint: venv ## ruff, and no untranslated or fuzzy (unchecked) entry in the catalogues
	$(VENV)/bin/ruff check .
	@for po in $(PO_FILES); do \
		left=$$(msgattrib --untranslated --no-obsolete $$po; msgattrib --only-fuzzy --no-obsolete $$po); \
		if [ -n "$$left" ]; then echo "$$po: untranslated or fuzzy entries:" >&2; echo "$$left" | grep '^msgid' >&2; exit 1; fi; \
	done

migrations-check: venv ## Fail if a model change has no migration
	$(MANAGE) makemigrations --check --dry-run

deploy-check: venv ## Django's deployment checklist with production-like settings
	DEBUG=0 ALLOWED_HOSTS=portal.example.cn \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')" \
		$(MANAGE) check --deploy --fail-level WARNING

messages: venv ## Extract strings into locale/zh_Hans and compile them
	@mkdir -p locale
	$(MANAGE) makemessages -l zh_Hans $(I18N_IGNORE)
	$(MAKE) compilemessages

clean: ## Remove caches and build output (keeps .venv and db.sqlite3)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print | xargs rm -rf
	find . -path ./$(VENV) -prune -o -name '*.mo' -path '*/locale/*' -print | xargs rm -f
	rm -rf .pytest_cache .ruff_cache staticfiles test-results
