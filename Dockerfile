# opsledger: the API server (and, as a second service, the projection workers).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OPSLEDGER_DATA_DIR=/var/lib/opsledger

WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY domain ./domain
COPY application ./application
COPY projections ./projections
COPY api ./api
COPY demo ./demo
RUN pip install --constraint requirements.lock . && useradd --system --home /app opsledger \
    && mkdir -p /var/lib/opsledger && chown opsledger /var/lib/opsledger
USER opsledger

EXPOSE 8000
# Ready: the store answers and every projection has a runner (here or in a worker).
HEALTHCHECK --interval=10s --timeout=5s --retries=3 --start-period=30s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=4).status != 200)"
CMD ["opsledger", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
