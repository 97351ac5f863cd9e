# pathhound's server image (docker-compose.yml). Multi-stage: build with the pinned toolchain,
# run on a slim Debian with only the binary and CA certificates (for live AWS collection).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pathhound

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 pathhound
COPY --from=build /src/target/release/pathhound /usr/local/bin/pathhound
USER pathhound
EXPOSE 8080
ENTRYPOINT ["pathhound"]
CMD ["serve", "--demo", "--listen", "0.0.0.0:8080"]
