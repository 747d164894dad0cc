# The app under gunicorn, as docker-compose.yml runs it. Static files are collected at build time for
# WhiteNoise's manifest storage (the production setting, hence DJANGO_DEBUG=false during the build too).
# Nothing here creates an account or demo data: migrations run as a separate step (docker-compose.yml's
# `migrate` service, as the database owner), and the first curator is made with `manage.py createsuperuser`.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput
# The ZIP places every worker reads (apps/directory/geo.py), extracted once into the image.
RUN python -c "from apps.directory import geo; geo.extract()"
RUN useradd --create-home oncodir && mkdir -p /app/var/private /app/var/imports/inbox && chown -R oncodir /app/var
USER oncodir
EXPOSE 8000
# No gunicorn access log: its lines hold the query string (a search can name a patient's condition). The app
# logs each request without it (oncodir.requests); gunicorn.conf.py readies the metrics' directory.
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/oncodir-metrics
CMD ["gunicorn", "oncodir.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
