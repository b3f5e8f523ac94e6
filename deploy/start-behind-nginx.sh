#!/usr/bin/env bash
# Start N portal servers sharing one database and nginx in front of them (TLS, WebSocket,
# session affinity, unbuffered downloads: deploy/nginx.conf). Runs in the foreground; Ctrl-C
# or SIGTERM stops everything it started, and so does any one of them stopping.
#
#   PORTAL_DATABASE_URL=postgresql://portal@db/portal deploy/start-behind-nginx.sh \
#       --ports 8501,8502 --listen 8443 [--cert fullchain.pem --key privkey.pem]
#
# --ports      the app servers' ports on 127.0.0.1 (default 8501,8502); one server per port
# --listen     nginx's TLS port (default 8443)
# --cert/--key the certificate; without them a self-signed one is made (for tests)
# --run-dir    where the rendered config, logs, pid and certificate go (default: a new temp dir)
# --upstream   HOST:PORT of a server started elsewhere (repeatable); then none is started here
# Prints "ready: https://127.0.0.1:<listen>" once nginx and every server answer their health.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true  # "&" in a path stays "&"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NGINX="${PORTAL_NGINX:-/usr/sbin/nginx}"
PY="${PORTAL_PYTHON:-$ROOT/.venv/bin/python}"
[[ -x "$PY" ]] || PY=python3

ports="8501,8502" listen=8443 cert="" key="" run_dir="" upstreams=()
while (($#)); do
  case "$1" in
    --ports) ports="$2"; shift 2 ;;
    --listen) listen="$2"; shift 2 ;;
    --cert) cert="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    --run-dir) run_dir="$2"; shift 2 ;;
    --upstream) upstreams+=("$2"); shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {print substr($0, 3)}' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x "$NGINX" ]] || { echo "no nginx at $NGINX (apt-get install nginx)" >&2; exit 3; }
if ((${#upstreams[@]} == 0)) && [[ -z "${PORTAL_DATABASE_URL:-}" ]]; then
  echo "PORTAL_DATABASE_URL is not set: the servers must share one database (PostgreSQL)" >&2
  exit 2
fi

run_dir="${run_dir:-$(mktemp -d -t portal-nginx.XXXXXX)}"
# nginx's temp files and cache; started as root, nginx's workers run as nobody, who may not
# reach into run_dir (a private temp dir): then a folder of nobody's own, removed on exit
state_dir="$run_dir"
if ((EUID == 0)); then
  state_dir="$(mktemp -d -t portal-nginx-state.XXXXXX)"
  chown nobody "$state_dir"
fi
mkdir -p "$state_dir/temp" "$state_dir/cache"
((EUID == 0)) && chown nobody "$state_dir/temp" "$state_dir/cache"

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ "$state_dir" == "$run_dir" ]] || rm -rf "$state_dir"
}
trap stop EXIT
trap 'exit 143' INT TERM

if [[ -z "$cert" ]]; then
  cert="$run_dir/cert.pem" key="$run_dir/key.pem"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$key" -out "$cert" 2>/dev/null
fi

if ((${#upstreams[@]} == 0)); then
  IFS=, read -ra port_list <<<"$ports"
  for port in "${port_list[@]}"; do
    (cd "$ROOT" && exec "$PY" -m streamlit run app.py --server.port "$port" \
      --server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false) \
      >"$run_dir/server-$port.log" 2>&1 &
    pids+=("$!")
    upstreams+=("127.0.0.1:$port")
  done
fi

servers=""
for upstream in "${upstreams[@]}"; do servers+="        server $upstream;"$'\n'; done
conf="$(<"$ROOT/deploy/nginx.conf")"
conf="${conf//@RUN@/$run_dir}"
conf="${conf//@STATE@/$state_dir}"
conf="${conf//@LISTEN@/$listen}"
conf="${conf//@CERT@/$cert}"
conf="${conf//@KEY@/$key}"
conf="${conf//@SERVERS@/${servers%$'\n'}}"
printf '%s\n' "$conf" >"$run_dir/nginx.conf"
"$NGINX" -q -t -p "$run_dir" -e "$run_dir/error.log" -c "$run_dir/nginx.conf"
"$NGINX" -p "$run_dir" -e "$run_dir/error.log" -c "$run_dir/nginx.conf" -g "daemon off;" &
pids+=("$!")

# every server, then nginx, answers its health check (a server's first start may migrate)
"$PY" - "$listen" "${upstreams[@]}" <<'PY'
import ssl, sys, time, urllib.request
listen, upstreams = sys.argv[1], sys.argv[2:]
urls = [f"http://{u}/_stcore/health" for u in upstreams]
urls.append(f"https://127.0.0.1:{listen}/_stcore/health")
context = ssl._create_unverified_context()
deadline = time.monotonic() + 120
for url in urls:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"no answer from {url} within 120 s")
        time.sleep(0.3)
PY
echo "ready: https://127.0.0.1:$listen (servers: ${upstreams[*]}; config, logs: $run_dir)"

# until a signal, or until any one of them stops
set +e
wait -n "${pids[@]}"
status=$?
echo "a process stopped (exit $status): stopping the others" >&2
exit 1
