#!/bin/sh
# Docker HEALTHCHECK for both images: GET /healthz on the port the server listens on (PORT, default 8080) when the
# container runs `serve`; a container running `worker` or `migrate` has no HTTP server and counts as healthy.
# HEALTHCHECK_PID names the process to look at (PID 1, the entry point, unless a test says otherwise).
case " $(tr '\0' ' ' <"/proc/${HEALTHCHECK_PID:-1}/cmdline") " in
  *" serve "*) ;;
  *) exit 0 ;;
esac
exec node -e "fetch('http://127.0.0.1:${PORT:-8080}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
