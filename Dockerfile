# syntax=docker/dockerfile:1

# Build: a static binary (no cgo), paths trimmed from it.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# The image has no .git: give the version and commit that `absorb-scim
# version` reports, e.g. --build-arg COMMIT=$(git rev-parse HEAD).
ARG VERSION=""
ARG COMMIT=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/absorb-scim/absorb-scim/buildinfo.version=${VERSION} -X github.com/absorb-scim/absorb-scim/buildinfo.commit=${COMMIT}" \
      -o /out/absorb-scim . \
 && mkdir -p /out/data

# Run: distroless static (no shell, no package manager), as the non-root
# user 65532 that owns the data volume.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/absorb-scim /absorb-scim
COPY --from=build --chown=65532:65532 /out/data /data

# Configuration comes from the environment (ABSORB_SCIM_*, secrets as
# ABSORB_SCIM_*_FILE) or a file named by ABSORB_SCIM_CONFIG; see README.md.
ENV ABSORB_SCIM_LISTEN=0.0.0.0:8080 \
    ABSORB_SCIM_DATA_DIR=/data \
    ABSORB_SCIM_LOG_FORMAT=json

USER 65532:65532
VOLUME /data
EXPOSE 8080

# distroless has no curl: the binary checks its own health URL.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/absorb-scim", "healthcheck", "-url", "http://127.0.0.1:8080/healthz"]

ENTRYPOINT ["/absorb-scim", "serve"]
