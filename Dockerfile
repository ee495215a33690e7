# syntax=docker/dockerfile:1
# The bot in one image: `docker compose up` (compose.yaml) runs it beside PostgreSQL.
# Base pinned to a Python patch release on a Debian release (bookworm, as CI's machines), so a
# rebuild gets the same interpreter and system libraries; bump both on purpose.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# --- build: resolve nothing, install exactly uv.lock into /opt/venv -------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
# The same uv as the Makefile's UV_VERSION.
RUN pip install uv==0.13.8
WORKDIR /src
# Dependencies first, in their own layer: a change of the code does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-install-project
# Then the project itself, as a regular (not editable) install: the venv holds the only copy.
COPY README.md ./
COPY bot bot
COPY bridge bridge
COPY storage storage
COPY migrations migrations
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-editable

# --- runtime: the venv and alembic.ini, nothing else of the build ---------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HEALTH_LISTEN=0.0.0.0 \
    HEALTH_PORT=9090
# A numeric user (Kubernetes' runAsNonRoot can check it) with a name for ps and logs.
RUN groupadd --gid 10001 mj \
    && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin mj \
    && mkdir -p /app/data && chown 10001:10001 /app/data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# `docker compose exec bot alembic current` (the bot itself migrates at start).
COPY alembic.ini ./
USER 10001:10001

# Webhook mode listens on 8443 (TELEGRAM_WEBHOOK_PORT); long polling needs no port.
# /healthz and /metrics on 9090 (README "Health and metrics").
EXPOSE 8443 9090
# Ready once Telegram, the database and the Discord sessions answer (bot/health.py). The start
# period covers STARTUP_WAIT_S-style waits for a database that is still starting.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --start-interval=5s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
VOLUME ["/app/data"]
CMD ["python", "-m", "bot"]
