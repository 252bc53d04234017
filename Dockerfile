# syntax=docker/dockerfile:1

# The release this image is, stamped into the binary, which reports it in
# `/tincan -version`, its start-up log and the tincan_build_info metric:
#   docker build --build-arg VERSION=v0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
# docker-compose.yml passes VERSION with the tag of its image.
ARG VERSION=devel
ARG REVISION=

# Build a static binary: no cgo, so it runs on an image without libc. The
# Go image is pinned to the toolchain the tests run with.
FROM golang:1.26.8 AS build
ARG VERSION
ARG REVISION
WORKDIR /src
# Modules first, so that a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags="-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" \
    -o /out/tincan ./cmd/api

# distroless/static has CA certificates and tzdata but no shell and no curl.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION
LABEL org.opencontainers.image.title="tincan" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/tincan-dev/tincan"
COPY --from=build /out/tincan /tincan
USER nonroot:nonroot
ENV ADDR=:8080
EXPOSE 8080
# With no shell, the binary checks itself: `healthcheck` GETs /healthz on
# ADDR's port and exits 0 on 200, 1 otherwise, within 3 s. The start
# period covers REDIS_STARTUP_TIMEOUT (30 s), the longest start-up waits
# for Redis before it listens. Orchestrators may probe GET (or HEAD)
# /healthz and /readyz over HTTP instead.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/tincan", "healthcheck"]
ENTRYPOINT ["/tincan"]
