# syntax=docker/dockerfile:1
# oipd in a small image: built in the Rust image, run from distroless (glibc and libgcc, no shell,
# no package manager) as the non-root user 65532, the store in the /data volume, listening on
# 0.0.0.0:3005 (the original OIP daemon's port). README "Docker" says how to run it.

# At least Cargo.toml's rust-version; bookworm, so the binary's glibc matches the runtime image's.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS build
# The slim image has gcc (ring and jemalloc build C) but not make, which jemalloc's build runs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make=4.3-4.1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The cache mounts keep crates and compiled dependencies between builds of the image; the binary
# is copied out because the target/ mount is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin oipd \
    && cp target/release/oipd /usr/local/bin/oipd \
    && mkdir /data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/oipd /usr/local/bin/oipd
# A named volume starts as a copy of this dir, so the store is writable by the non-root user.
COPY --from=build --chown=65532:65532 /data /data
ENV OIPD_BIND=0.0.0.0:3005 \
    OIPD_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 3005
USER 65532:65532
# `oipd health` asks GET /api/health on the port of OIPD_BIND (0.0.0.0 is probed on 127.0.0.1):
# the image has no shell or curl. The start period covers opening a large store after a crash.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/oipd", "health"]
ENTRYPOINT ["/usr/local/bin/oipd"]
CMD ["serve"]
