# One image for every Python service of docker-compose.yml: the portal, its video-room
# process, the Celery worker and beat, the migration job and the court receiver.

# The front-end packages (Bootstrap, signature_pad, ECharts) come from npm; only the
# installed packages are copied into the final image, not node and npm.
FROM node:20-bookworm-slim AS vendor
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm
# fonts-wqy-zenhei: the TrueType CJK font every generated PDF embeds (documents/).
# postgresql-client (15, as the postgres service): pg_dump/pg_restore for `odr backup`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei postgresql-client \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini babel.cfg ./
COPY portal ./portal
COPY rtc ./rtc
COPY documents ./documents
COPY court_export ./court_export
COPY static ./static
# Editable: templates, static files and migrations are found next to the packages.
RUN pip install -e .
COPY --from=vendor /app/node_modules ./node_modules
# The services run as an unprivileged user. The directories the named volumes are mounted
# on exist here, owned by that user, so that Docker gives each new volume that owner.
RUN useradd --system --uid 10001 --home-dir /var/lib/odr --shell /usr/sbin/nologin odr \
 && install -d -o odr -g odr /var/lib/odr /var/lib/odr/pki/court-export \
                             /var/lib/court /var/lib/court/keys
USER odr
ENV ODR_VAR_DIR=/var/lib/odr \
    ODR_PKI_DIR=/var/lib/odr/pki \
    ODR_STATIC_VENDOR_DIR=/app/node_modules \
    COURT_VAR_DIR=/var/lib/court
EXPOSE 8000
# docker-compose.yml gives every service its own command; this default is the portal.
CMD ["uvicorn", "portal.web.asgi:app", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "4", "--proxy-headers", "--forwarded-allow-ips", "*"]
