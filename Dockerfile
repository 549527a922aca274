# A read-only datasette-budget site in one image: the plugin with its [images] extra, a CJK
# font for the Chinese labels of server-rendered charts, and an immutable database built from
# data/documents when the image is built, with `datasette inspect` data (row counts read
# once, at build time, not at every start).
#
#   docker build -t datasette-budget .
#   docker run --rm -p 8001:8001 datasette-budget
#
# To publish other documents, put them in data/documents (text or PDF) before building.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /site
COPY pyproject.toml README.md LICENSE /src/
COPY datasette_budget /src/datasette_budget
RUN pip install --no-cache-dir '/src[images]' && rm -rf /src

COPY metadata.yml ./
COPY data/documents ./documents
RUN datasette budget load budget.db documents \
 && datasette inspect budget.db --inspect-file inspect-data.json

EXPOSE 8001
# Immutable (-i): Datasette never writes to it and sends Cache-Control: max-age of
# default_cache_ttl seconds; the plugin's chart specs and images send its cache_max_age
# (3600 by default) likewise.
CMD ["datasette", "serve", "-i", "budget.db", "--inspect-file", "inspect-data.json", \
     "--metadata", "metadata.yml", "--cors", "--setting", "suggest_facets", "off", \
     "--setting", "default_cache_ttl", "3600", "-h", "0.0.0.0", "-p", "8001"]
