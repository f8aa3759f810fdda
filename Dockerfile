# tocsin's container image: the release binary on Debian slim, run as an unprivileged user.
#   docker build -t tocsin .
#   docker run -p 8080:8080 -v /etc/tocsin:/etc/tocsin:ro -e TOCSIN_DATABASE tocsin
# See docs/replicas.md.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tocsin

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/tocsin --create-home tocsin
COPY --from=build /src/target/release/tocsin /usr/local/bin/tocsin
USER tocsin
WORKDIR /var/lib/tocsin
ENV TOCSIN_CONFIG=/etc/tocsin/tocsin.toml
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/tocsin", "--log-format", "json", "serve", "--listen", "0.0.0.0:8080"]
