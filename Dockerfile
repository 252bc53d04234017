# syntax=docker/dockerfile:1

# Build a static binary: no cgo, so it runs on an image without libc.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' -o /out/tincan ./cmd/api

# distroless/static has CA certificates and tzdata but no shell, so no
# HEALTHCHECK here: orchestrators probe GET /healthz and GET /readyz.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tincan /tincan
USER nonroot:nonroot
ENV ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/tincan"]
