# One image, four roles: python -m ciam_portal.serve web|worker|beat|migrate (ciam_portal/serve.py).
# docs/operations.md says how to run it; compose.yaml runs a whole deployment on one machine.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The code runs from /app, where the templates, static files and translations it finds beside
    # its packages are (BASE_DIR); `pip install .` brings the dependencies.
    PYTHONPATH=/app \
    CIAM_DATA_DIR=/var/lib/ciam \
    CIAM_HOST=0.0.0.0 \
    PORT=8000 \
    CIAM_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/ciam-metrics

RUN useradd --system --uid 10001 --home-dir /var/lib/ciam --shell /usr/sbin/nologin ciam

WORKDIR /app
COPY . .
RUN pip install . \
    # Static files collected once, at build. Placeholders only so the settings load: no database
    # is reached, and no secret is generated into the image.
    && DATABASE_URL=postgres://build@127.0.0.1:1/build \
       CIAM_SECRET_KEY=build-only \
       CIAM_KEY_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
       python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /var/lib/ciam/media \
    && chown -R ciam /var/lib/ciam

USER ciam
EXPOSE 8000
# The server replaces the entrypoint's process: the runtime's SIGTERM reaches granian or Celery.
ENTRYPOINT ["python", "-m", "ciam_portal.serve"]
CMD ["web"]
