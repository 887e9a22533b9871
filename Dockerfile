# Production image: gunicorn serves the app, whitenoise serves the collected static files.
FROM python:3.11-slim

# DEBUG=0 is also the settings' default; it is set here so that `docker run` without it is explicit.
ENV DEBUG=0 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext for compilemessages (msgfmt); psycopg-binary brings its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Build-time only: settings need some SECRET_KEY to import; the real one comes from the environment
# at run time. DEBUG=0 so collectstatic writes whitenoise's compressed, hashed manifest.
RUN DEBUG=0 SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput \
    && if find . -name '*.po' -print | grep -q .; then \
         DEBUG=0 SECRET_KEY=build-time-only-not-a-secret python manage.py compilemessages --ignore=staticfiles; \
       fi

RUN useradd --system --uid 1000 --home-dir /app yiling \
    && mkdir -p /app/media \
    && chown yiling /app/media
USER yiling

EXPOSE 8000
CMD ["gunicorn", "yiling.wsgi:application", "--config", "gunicorn.conf.py"]
