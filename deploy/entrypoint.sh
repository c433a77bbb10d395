#!/bin/sh
# The image's entry point: runs the Brigade service named by $SERVICE (or the first argument), the same
# compiled JavaScript `npm run start:<service>` starts (`npm run build` output; no tsx, no TypeScript). `entrypoint.sh health` probes that service's /health instead
# (the image's HEALTHCHECK: alive), `entrypoint.sh ready` its /ready (docker-compose's healthchecks, so
# dependants wait for migrations and dependencies). Slim images have no curl; node's fetch does the request.
set -eu

mode=run
case "${1:-}" in
  health | ready)
    mode="$1"
    shift
    ;;
esac
service="${1:-${SERVICE:-}}"

case "$service" in
  gateway) entry=gateway/dist/main.js; port=4000 ;;
  auth) entry=subgraphs/auth/dist/main.js; port=4001 ;;
  menu) entry=subgraphs/menu/dist/main.js; port=4002 ;;
  orders) entry=subgraphs/orders/dist/main.js; port=4003 ;;
  kitchen) entry=subgraphs/station/dist/main.js; port=4004 ;;
  bar) entry=subgraphs/station/dist/main.js; port=4005 ;;
  bakery) entry=subgraphs/station/dist/main.js; port=4006 ;;
  *)
    echo "entrypoint: set SERVICE to one of gateway auth menu orders kitchen bar bakery (got '$service')" >&2
    exit 64
    ;;
esac

# The three stations are one code base; STATION picks the profile, as in `npm run start:kitchen`.
case "$service" in
  kitchen | bar | bakery) export STATION="$service" ;;
esac

# Same precedence as the services' config: <NAME>_PORT, then PORT, then the service's default port.
upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
eval "named_port=\${${upper}_PORT:-}"
export PORT="${named_port:-${PORT:-$port}}"

if [ "$mode" != run ]; then
  exec node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/$mode', { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
fi
# --conditions=compiled: the workspace packages resolve to their dist/ (package.json "exports").
# A larger young generation cuts the gateway's GC share from ~24% to ~17% (bench/README.md).
case "$service" in
  gateway) exec node --max-semi-space-size=32 --conditions=compiled "$entry" ;;
  *) exec node --conditions=compiled "$entry" ;;
esac
