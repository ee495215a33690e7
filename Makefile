# Two commands for a newcomer: `make run` and `make test`. Each creates .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint bench clean postgres chromium lock lock-check image-check strings catalogs

# Dependencies come from uv.lock (README "Dependencies and the lock file"): uv itself is
# installed from PyPI into .uv/ at the version below, and `uv sync --frozen` makes .venv exactly
# the lock. Installs are stamped so that a second `make` does not reinstall; a changed
# pyproject.toml or uv.lock does.
UV_VERSION := 0.13.8
UV_DIR     ?= .uv
UV         := $(UV_DIR)/bin/uv
# uv never downloads an interpreter here: it uses $(PYTHON), as the venv always did.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Compiled at install as pip does: with PYTHONDONTWRITEBYTECODE set (as on our machines) every
# process would otherwise compile its imports again (a bot process started 2 s slower).
export UV_COMPILE_BYTECODE := 1
UV_SYNC    := $(UV) sync --frozen --python $(PYTHON)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.x")'
	@test -x $(UV_DIR)/bin/python || $(PYTHON) -m venv $(UV_DIR)
	$(UV_DIR)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@touch $@

# `make run` keeps the dev tools a developer already has (--inexact); `make test` syncs exactly.
$(VENV)/.stamp-run: pyproject.toml uv.lock Makefile | $(UV)
	$(UV_SYNC) --inexact
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml uv.lock $(VENV)/.stamp-run
	$(UV_SYNC) --extra dev
	@touch $@

# pyproject.toml's ranges and uv.lock must agree: fails (and names the drift) when someone
# changed a range without re-locking. Fix: `make lock` and commit uv.lock.
lock-check: | $(UV)
	@$(UV) lock --check --python $(PYTHON) || { \
	  echo "uv.lock does not match pyproject.toml: run 'make lock' and commit uv.lock"; exit 1; }

# Re-lock after a change of pyproject.toml's dependencies; versions already locked stay put.
lock: | $(UV)
	$(UV) lock --python $(PYTHON)

# .env is checked before anything is installed (standard library only), naming what is missing.
run:
	@$(PYTHON) -m bot.envcheck
	@$(MAKE) --no-print-directory $(VENV)/.stamp-run catalogs
	$(PY) -m bot

# The texts' catalogues (bot/texts.py says how to add a string): `strings` extracts new texts
# into every .po; `catalogs` compiles the .mo files that `run` and `test` use.
strings: $(VENV)/.stamp-run
	$(PY) -m bot.catalogs update

catalogs: $(VENV)/.stamp-run
	@$(PY) -m bot.catalogs compile

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check .

# The storage tests also run on a real PostgreSQL server (tests/postgres.py starts a throwaway
# one); Debian's package is installed when its binaries are missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  echo "Installing Debian's postgresql package for the storage tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || \
	  echo "Could not install PostgreSQL: its test variants are skipped (under CI they fail)"; }

# The Mini App's page is tested in a real headless browser (tests/browser.py drives it over the
# DevTools protocol); Debian's chromium package is installed when no browser is found.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "Installing Debian's chromium package for the Mini App's browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	  echo "Could not install Chromium: the browser tests are skipped (under CI they fail)"; }

# The suite runs in parallel, two workers a core (pyproject.toml's addopts: pytest-xdist).
test: lock-check $(VENV)/.stamp-dev postgres chromium catalogs
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: $(VENV)/.stamp-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(UV_DIR) .pytest_cache .ruff_cache

# Builds the image and smoke-tests it: where a Docker daemon runs (CI's machines have none).
IMAGE ?= mj-telegram-bridge:check
image-check:
	@docker info >/dev/null 2>&1 || { \
	  echo "image-check: no Docker daemon reachable here ('docker info' failed), so the image"; \
	  echo "cannot be built or tested on this machine; run 'make image-check' where Docker runs."; \
	  exit 1; }
	docker build -t $(IMAGE) .
	@echo "--- user, files: numeric non-root, one copy of the code, alembic.ini, no build leftovers"
	docker run --rm --entrypoint sh $(IMAGE) -c '\
	  test "$$(id -u)" = 10001 && test -f /app/alembic.ini && test ! -e /app/bot && \
	  test -z "$$(find / -xdev \( -name "*.egg-info" -o -name build \) -path "*mj*" 2>/dev/null)" && \
	  python -c "import bot.app, bot.health; print(\"imports ok\")"'
	@echo "--- migrations through alembic.ini, and a start without a token exits with one line"
	docker run --rm -e DATABASE_URL=sqlite+aiosqlite:////tmp/check.db $(IMAGE) \
	  sh -c 'alembic upgrade head && alembic current'
	docker run --rm $(IMAGE) python -m bot 2>&1 | grep -q "TELEGRAM_BOT_TOKEN is required"
	@echo "--- size"
	@docker image inspect -f '{{.Size}}' $(IMAGE) | awk '{printf "image size: %.0f MB\n", $$1 / 1e6}'
