# Two commands for a newcomer: `make run` and `make test`. Each creates .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint bench clean postgres

# Installs are stamped so that a second `make` does not reinstall; a changed pyproject.toml does.
$(VENV)/.stamp-run: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.x")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-run
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(VENV)/.stamp-run
	@if [ ! -f .env ]; then \
	  echo "No .env file found. Create one next to the Makefile:"; \
	  echo "    cp .env.example .env"; \
	  echo "then set at least TELEGRAM_BOT_TOKEN=<token from @BotFather>."; \
	  echo "To try the bot without Discord also set MIDJOURNEY_BACKEND=simulator."; \
	  echo "For real Midjourney set DISCORD_USER_TOKEN, DISCORD_BOT_TOKEN, DISCORD_GUILD_ID, DISCORD_CHANNEL_ID."; \
	  exit 1; \
	fi
	$(PY) -m bot

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

test: $(VENV)/.stamp-dev postgres
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: $(VENV)/.stamp-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
