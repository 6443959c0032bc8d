# The portal's image: the web processes, the Celery workers and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VAR_DIR=/var/lib/ppie STATIC_ROOT=/srv/static
# WeasyPrint's libraries and a fallback font for the PDFs; poppler is for the tests only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/portal
COPY pyproject.toml README.md ./
COPY portal portal
COPY engagement engagement
COPY documents documents
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir ".[s3,providers]" \
 && useradd --system --home /var/lib/ppie --create-home ppie \
 && DEBUG=true SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0

USER ppie
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--workers", "3", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
