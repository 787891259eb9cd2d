# Kring in a container: a static binary on a distroless base, running as a non-root user.
# Build:  docker build -t kring .
# Run:    see compose.yaml and docs/operations.md (Kring needs KRING_REDIS_URL, a school
#         configuration mounted at /etc/kring/school.yaml, and the platform tokens).
# This file is kept minimal; it was not built in Kring's CI (no container runtime there).

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that needs no libc in the runtime image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kring ./cmd/kring

# distroless/static: CA certificates, tzdata and /etc/passwd, no shell. The nonroot tag runs
# as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kring /usr/local/bin/kring
# The example school, to try the image or to start a configuration from:
#   docker run --rm kring config check /usr/share/kring/examples/school.yaml
COPY --from=build /src/examples /usr/share/kring/examples
USER 65532:65532
WORKDIR /home/nonroot
ENV KRING_CONFIG=/etc/kring/school.yaml \
    KRING_METRICS_ADDR=0.0.0.0:9090
# /healthz and /metrics. Publish it only to the host or a private network.
EXPOSE 9090
# Kring handles SIGTERM: in-flight steps finish, queued messages stay in Redis.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/kring", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/kring"]
CMD ["run"]
