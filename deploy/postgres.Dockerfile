# PostgreSQL for pivot's compose file: the official postgres image, same major as before (17, so an
# existing pgdata volume opens unchanged), plus Citus' upstream Debian package, which carries the
# citus_columnar extension that pivot uses to keep cold days of spans and logs columnar. Only the
# package is installed: `citus` is neither preloaded nor created, so this stays one plain PostgreSQL
# (the `citus` profile runs the citusdata/citus images for a cluster).
#
# Bookworm, pinned: Citus publishes its packages per Debian release, and the glibc of the image
# decides text collation (see deploy/README.md before moving a volume between Debian releases).
FROM postgres:17-bookworm

# Citus 13.0 is the line that supports PostgreSQL 17; citus_columnar ships in the same package.
ARG CITUS_MINOR=13.0
ARG CITUS_VERSION=13.0.3.citus-1

# The repository set-up script is Citus' documented way to add their apt repository and its key.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && curl -fsSL https://install.citusdata.com/community/deb.sh | bash \
    && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}-citus-${CITUS_MINOR}=${CITUS_VERSION}" \
    && apt-get purge -y --auto-remove curl \
    && rm -rf /var/lib/apt/lists/*
