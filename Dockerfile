# The bot in one image: `docker compose up` (compose.yaml) runs it beside PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY bridge bridge
COPY storage storage
COPY migrations migrations
RUN pip install . \
    && useradd --create-home --uid 10001 mj \
    && mkdir /app/data && chown mj /app/data
USER mj

# Webhook mode listens here (TELEGRAM_WEBHOOK_PORT); long polling needs no port.
EXPOSE 8443
VOLUME ["/app/data"]
CMD ["python", "-m", "bot"]
