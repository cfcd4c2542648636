# authdb container image: multi-stage, non-root. Not built by CI here (see docs/operations.md).
#
#   docker build -t authdb .
#   docker run -p 8080:8080 -v authdb-data:/var/lib/authdb authdb

# ---- build
FROM rust:1.94-slim-bookworm AS build
WORKDIR /src
COPY . .
# Release build of the server binary only; the cache mounts keep rebuilds incremental.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p authdb-server \
    && install -D target/release/authdb /out/authdb

# ---- run
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 authdb \
    && useradd --system --uid 10001 --gid authdb --home-dir /var/lib/authdb --shell /usr/sbin/nologin authdb \
    && install -d -o authdb -g authdb -m 0700 /var/lib/authdb
COPY --from=build /out/authdb /usr/local/bin/authdb
USER 10001:10001
WORKDIR /var/lib/authdb
ENV AUTHDB__DATA_DIR=/var/lib/authdb \
    AUTHDB__SERVER__BIND=0.0.0.0:8080 \
    AUTHDB__LOG__FORMAT=json
EXPOSE 8080
VOLUME ["/var/lib/authdb"]
# Probes: GET /health/live and /health/ready from the orchestrator (the image has no curl).
ENTRYPOINT ["/usr/local/bin/authdb"]
CMD ["serve"]
