# OncoDir: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Serve the app at http://127.0.0.1:8000 with demo data (embedded PostgreSQL unless DATABASE_URL is set), and
# the job workers beside it (emails, reminders, imports); both stop with Ctrl-C.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py qcluster & workers=$$!; trap 'kill $$workers 2>/dev/null' EXIT; \
		$(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole test suite, against real PostgreSQL.
test: $(STAMP)
	scripts/ensure_test_packages.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
