FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY pyproject.toml README.md alembic.ini ./
COPY portal ./portal
COPY rtc ./rtc
COPY documents ./documents
COPY court_export ./court_export
COPY static ./static
RUN pip install --no-cache-dir -e .
ENV ODR_STATIC_VENDOR_DIR=/app/node_modules
EXPOSE 8000
# One worker: video rooms live in the web process until the media server runs as its own
# service (issue 9); participants on different workers would not meet.
CMD ["odr", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
