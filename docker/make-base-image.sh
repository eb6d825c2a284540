#!/usr/bin/env bash
# Build the local base image for the newsingest Dockerfile (no Docker registry needed).
#
# Creates a minimal Debian bookworm root filesystem with debootstrap, installs
# python3 / python3-venv / python3-pip / redis-server into it, and loads it into
# the local Docker engine with `docker import`.
#
# Usage (as root, on a Debian/Ubuntu host with a running Docker engine):
#   apt-get install -y debootstrap docker.io      # once
#   docker/make-base-image.sh [IMAGE_TAG]         # default newsingest-base:bookworm
#
# Environment overrides:
#   DEBIAN_MIRROR   (default http://deb.debian.org/debian)
#   SECURITY_MIRROR (default http://deb.debian.org/debian-security)
#   SUITE           (default bookworm)
#   ROOTFS          (default: a fresh mktemp dir, deleted afterwards)
set -euo pipefail

IMAGE_TAG="${1:-newsingest-base:bookworm}"
SUITE="${SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PACKAGES="ca-certificates,python3,python3-venv,python3-pip,redis-server"

if [ "$(id -u)" != 0 ]; then echo "must run as root (debootstrap/chroot)" >&2; exit 1; fi
command -v debootstrap >/dev/null || { echo "install debootstrap first" >&2; exit 1; }
command -v docker >/dev/null || { echo "install docker first" >&2; exit 1; }

CLEANUP_ROOTFS=0
if [ -z "${ROOTFS:-}" ]; then
  ROOTFS="$(mktemp -d /tmp/newsingest-rootfs.XXXXXX)"
  CLEANUP_ROOTFS=1
fi
cleanup() {
  for m in proc sys dev/pts dev; do umount -l "$ROOTFS/$m" 2>/dev/null || true; done
  if [ "$CLEANUP_ROOTFS" = 1 ]; then rm -rf --one-file-system "$ROOTFS"; fi
}
trap cleanup EXIT

echo ">> debootstrap $SUITE into $ROOTFS from $DEBIAN_MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$DEBIAN_MIRROR"

echo ">> apt sources incl. updates + security, apply upgrades"
rm -f "$ROOTFS/etc/apt/sources.list"
cat > "$ROOTFS/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# keep images small, like the official debian images do
cat > "$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CONF
echo 'APT::Install-Recommends "false"; APT::Install-Suggests "false";' > "$ROOTFS/etc/apt/apt.conf.d/docker-no-recommends"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
chroot "$ROOTFS" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -euc '
  apt-get update
  apt-get -y upgrade
  apt-get clean
'
umount -l "$ROOTFS/proc"

echo ">> trim rootfs"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/log/*.log \
       "$ROOTFS"/var/log/apt/* "$ROOTFS"/tmp/* "$ROOTFS"/root/.cache
: > "$ROOTFS/etc/resolv.conf"
# the image gets hostname / resolv.conf from the engine at run time
rm -f "$ROOTFS/etc/hostname"
# docs and man pages are dead weight in the image (licence files are kept)
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*

echo ">> docker import -> $IMAGE_TAG"
tar --numeric-owner --xattrs -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "debootstrap $SUITE minbase + python3 python3-venv python3-pip redis-server" \
  - "$IMAGE_TAG"

docker run --rm "$IMAGE_TAG" sh -c 'python3 --version && redis-server --version && python3 -m venv --help >/dev/null && echo base-ok'
docker image ls "$IMAGE_TAG"
