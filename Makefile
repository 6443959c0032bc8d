# The portal's everyday commands. `make run` for a local trial, `make test` for the suite.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint format check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite, a file-system Celery broker and emails as files, all in var/.
run: export DEBUG = true
# Links in emails point at the address the portal is served on.
run: export SITE_URL = http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	@echo ""
	@echo "The portal is at http://$(HOST):$(PORT)/  (emails are written to var/mail/)"
	@echo "Press Ctrl+C to stop the web server, the Celery worker and beat."
	@echo ""
	@sh -c '$(VENV)/bin/celery -A portal worker --beat --loglevel warning --concurrency 1 & \
		worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST):$(PORT)'

# In parallel, one pytest-xdist worker per CPU, each with its own test database.
test: install
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy portal engagement documents

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: export SECRET_KEY ?= checks-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG
check: export SITE_URL ?= http://localhost:8000
check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
