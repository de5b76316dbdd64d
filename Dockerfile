# One image for every `grants` service of docker-compose.yml: the entry point is the
# `grants` command, so a service's `command:` is just the subcommand, e.g. ["db", "upgrade"].
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the package needs: copying the whole tree would bring .venv, var/ and .git.
# scrapy.cfg stays in the working directory, where Scrapy looks for its settings module.
COPY pyproject.toml README.md scrapy.cfg ./
COPY tracker ./tracker
COPY spiders ./spiders
COPY digests ./digests

# The two checks fail the build rather than the first job: the entry point must
# start, and schedules and digests need the time zone database (Europe/Warsaw).
RUN pip install . \
    && grants --help > /dev/null \
    && python -c "import zoneinfo; zoneinfo.ZoneInfo('Europe/Warsaw')" \
    && useradd --create-home --uid 10001 grants \
    && mkdir -p /app/var \
    && chown grants /app/var

USER grants
# `grants schedule` stops on SIGTERM once its running jobs are done.
STOPSIGNAL SIGTERM
ENTRYPOINT ["grants"]
CMD ["--help"]
