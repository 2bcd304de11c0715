# opendatad on Debian 12: built from this tree (`make all`, `make install`), run with only the
# runtime libraries. docker-compose.yml runs it with PostgreSQL (README, "Install").
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config libevent-dev libjson-c-dev libpq-dev libminizip-dev zlib1g-dev \
      libcsv-dev libxml2-dev libssl-dev libcrypt-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" all PREFIX=/usr \
 && make install PREFIX=/usr DESTDIR=/stage \
 && install -m 755 scripts/demo-load.sh /stage/usr/share/opendatad/demo-load.sh \
 && install -m 755 docker/entrypoint.sh /stage/usr/share/opendatad/entrypoint.sh

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libevent-2.1-7 libevent-pthreads-2.1-7 libjson-c5 libpq5 libminizip1 zlib1g libcsv3 \
      libxml2 libssl3 libcrypt1 libcurl4 ca-certificates postgresql-client curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && adduser --system --group --home /var/lib/opendatad --no-create-home opendatad \
 && install -d -o opendatad -g opendatad -m 750 /var/lib/opendatad \
      /var/lib/opendatad/uploads /var/lib/opendatad/cache /var/lib/opendatad/cache/dumps
COPY --from=build /stage/usr /usr
USER opendatad
WORKDIR /var/lib/opendatad
EXPOSE 5000
VOLUME ["/var/lib/opendatad/uploads", "/var/lib/opendatad/cache"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:5000/api/3/action/status_show || exit 1
ENTRYPOINT ["/usr/share/opendatad/entrypoint.sh"]
