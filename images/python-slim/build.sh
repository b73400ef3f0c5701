#!/bin/sh
# A stand-in for the official `python:3.11-slim` image, from Debian bookworm's packages, for machines
# that cannot pull from Docker Hub (sentiment/containers/base_images.py runs this only when the pull
# fails). Usage (as root): images/python-slim/build.sh ROOTFS
#
# Python 3.11 (Debian's), with a venv at /usr/local so `python` and `pip` live in /usr/local/bin and
# install into /usr/local/lib/python3.11/site-packages, as in the official image. The host's CA
# bundle replaces Debian's: on machines that reach PyPI through a TLS proxy, only that bundle holds
# the proxy's CA (it goes into this stand-in, never into the project's Dockerfiles).
set -eu
rootfs=$1
in_rootfs() { env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 chroot "$rootfs" "$@"; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
debootstrap --variant=minbase --include=python3.11,python3-venv,ca-certificates bookworm "$rootfs" "$mirror"
in_rootfs python3.11 -m venv /usr/local
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$rootfs/etc/pip.conf"
in_rootfs pip install --quiet --no-cache-dir --disable-pip-version-check pip==24.0
# What the official slim image leaves out too: package caches and lists, documentation, translations.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
	"$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/* "$rootfs"/root/.cache
find "$rootfs/usr" -name __pycache__ -prune -exec rm -rf {} +
