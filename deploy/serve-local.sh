#!/usr/bin/env bash
# Serve the app to a class from one machine: N Streamlit replicas behind nginx.
#
#   deploy/serve-local.sh [N] [PORT]      # N replicas (default: one per core), nginx on PORT (8080)
#
# Replica i listens on 127.0.0.1:PORT+i (i = 1..N); nginx listens on
# 127.0.0.1:PORT (LISTEN=0.0.0.0 to serve the classroom network) and runs in
# the foreground as a non-daemon master process. Its configuration, pid file,
# logs and temporary files are generated in a fresh temporary directory, so
# nothing under /etc/nginx is used or touched. Ctrl-C or SIGTERM stops nginx
# and every replica; so does any one of them exiting.
#
# What the generated configuration does, and why (README, "Serving a class"):
# * sticky sessions on nginx's own "route" cookie (not the client address, which
#   is the same for a whole class behind one NAT; not Streamlit's _streamlit_xsrf
#   cookie, whose value Streamlit 1.67 re-masks on every health check); a first
#   visit goes to the replica with the fewest open connections (least_conn:
#   a student's websocket stays open), which then names itself in the cookie;
# * websocket proxying of /_stcore/stream, idle for up to a whole lesson;
# * gzip of the static assets (Streamlit deliberately serves them uncompressed);
# * client_max_body_size from server.maxUploadSize in .streamlit/config.toml;
# * security headers, and an X-Replica header naming the replica that answered;
# * one server.cookieSecret for all replicas, generated for this run.
#
# Environment: PYTHON (default .venv/bin/python), NGINX (default /usr/sbin/nginx),
# LISTEN (default 127.0.0.1), KEEP_LOGS=1 keeps the temporary directory.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-$(nproc)}"
PORT="${2:-8080}"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
NGINX="${NGINX:-/usr/sbin/nginx}"
LISTEN="${LISTEN:-127.0.0.1}"
START_TIMEOUT_S=90  # replicas start in parallel: imports on a busy 2-core machine

if ! [[ "$N" =~ ^[1-9][0-9]*$ && "$PORT" =~ ^[1-9][0-9]*$ ]] || (( PORT + N > 65535 )); then
    echo "usage: $0 [N replicas >= 1] [PORT], with PORT+N <= 65535 (got N=$N PORT=$PORT)" >&2
    exit 2
fi
if [ ! -x "$NGINX" ]; then
    echo "$NGINX not found: install Debian's nginx package (apt-get install nginx)" >&2
    exit 2
fi

RUN_DIR="$(mktemp -d -t kmeans-serve.XXXXXX)"
# nginx's workers drop root for "nobody": they must reach the temp paths below.
chmod 711 "$RUN_DIR"
PIDS=()

stop_all() {
    trap - INT TERM EXIT
    # nginx first (no new requests), then the replicas; polite TERM, then KILL.
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
        alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.2
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP_LOGS:-0}" = 1 ]; then
        echo "logs kept in $RUN_DIR" >&2
    else
        rm -rf "$RUN_DIR"
    fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# One secret for all replicas: a cookie signed by one replica (st.login) is
# valid on every other. In the environment, not on the command line (ps shows that).
export STREAMLIT_SERVER_COOKIE_SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"

# nginx must accept an upload as large as Streamlit does: read the limit from
# the app's own config (200 MB is Streamlit's default), plus 1 MB for the
# multipart envelope around the file.
MAX_UPLOAD_MB="$(cd "$REPO_ROOT" && "$PYTHON" -c '
import tomllib
from pathlib import Path
path = Path(".streamlit/config.toml")
config = tomllib.loads(path.read_text()) if path.is_file() else {}
print(int(config.get("server", {}).get("maxUploadSize", 200)))')"
BODY_LIMIT_MB=$(( MAX_UPLOAD_MB + 1 ))

# k-means runs at once per replica (ui/cache.py, KMEANS_SLOTS): the cores shared
# out among the replicas, at least one each; more wait in a visible queue. Each
# run gets the replica's share of the cores divided among its slots, at least
# one thread (SEGMENT_THREADS; more threads than cores only add hand-over costs).
CORES="$(nproc)"
SHARE=$(( CORES / N > 0 ? CORES / N : 1 ))
export SEGMENT_SLOTS="${SEGMENT_SLOTS:-$SHARE}"
export SEGMENT_THREADS="${SEGMENT_THREADS:-$(( SHARE / SEGMENT_SLOTS > 0 ? SHARE / SEGMENT_SLOTS : 1 ))}"

SERVERS=""     # the balanced group, for first visits
STICKY=""      # route cookie -> that replica's own upstream group
REPLICAS=""    # one upstream group per replica
ROUTE_OF=""    # replica address -> its route cookie value
for i in $(seq 1 "$N"); do
    port=$(( PORT + i ))
    (cd "$REPO_ROOT" && exec "$PYTHON" deploy/preloaded_streamlit.py run app.py \
        --server.address 127.0.0.1 --server.port "$port" --server.headless true \
        --server.fileWatcherType none --browser.gatherUsageStats false \
        >"$RUN_DIR/replica-$i.log" 2>&1 </dev/null) &
    PIDS+=("$!")
    echo "replica $i: pid $! port $port log $RUN_DIR/replica-$i.log"
    SERVERS+="        server 127.0.0.1:$port max_fails=0;"$'\n'
    STICKY+="        r$i replica_$i;"$'\n'
    REPLICAS+="    upstream replica_$i { server 127.0.0.1:$port max_fails=0; keepalive 8; }"$'\n'
    ROUTE_OF+="        127.0.0.1:$port r$i;"$'\n'
done

cat >"$RUN_DIR/nginx.conf" <<EOF
# Generated by deploy/serve-local.sh for $N replica(s); see that script.
daemon off;
master_process on;
worker_processes 1;  # the cores belong to the replicas
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/nginx-error.log warn;

events {
    worker_connections 1024;  # a class: ~3 connections per student
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $RUN_DIR/nginx-access.log;
    client_body_temp_path $RUN_DIR/client_body;
    proxy_temp_path $RUN_DIR/proxy;
    fastcgi_temp_path $RUN_DIR/fastcgi;
    uwsgi_temp_path $RUN_DIR/uwsgi;
    scgi_temp_path $RUN_DIR/scgi;
    server_tokens off;

    # Sticky sessions: a "route" cookie naming a replica (r1..rN) goes to that
    # replica; a first visit (or an unknown cookie) goes to the balanced group,
    # and the replica that answered is set as its cookie. Not a hash of a random
    # key: 30 students hashed onto 2 replicas split 9/21 in one measured run.
    map \$cookie_route \$backend {
$STICKY        default kmeans_lesson;
    }
    map \$upstream_addr \$route_of_upstream {
$ROUTE_OF        default "";
    }
    map \$backend \$route_set_cookie {
        kmeans_lesson "route=\$route_of_upstream; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ""      close;
    }

    upstream kmeans_lesson {
        least_conn;
$SERVERS        keepalive 16;
    }
$REPLICAS

    # Streamlit sends its JS and CSS bundles uncompressed (by design: it
    # expects a proxy to compress); 11 MB on a first load otherwise.
    gzip on;
    gzip_proxied any;
    gzip_vary on;
    gzip_comp_level 5;
    gzip_min_length 1024;
    gzip_types text/css text/plain application/javascript text/javascript
               application/json image/svg+xml application/wasm;

    server {
        listen $LISTEN:$PORT;
        client_max_body_size ${BODY_LIMIT_MB}m;  # server.maxUploadSize = $MAX_UPLOAD_MB MB, + envelope

        # Every response (add_header is inherited only by locations without their own).
        add_header Set-Cookie \$route_set_cookie always;
        add_header X-Replica \$upstream_addr always;
        add_header X-Content-Type-Options nosniff always;
        add_header Referrer-Policy strict-origin-when-cross-origin always;
        add_header X-Frame-Options SAMEORIGIN always;
        add_header Content-Security-Policy "frame-ancestors 'self'" always;
        # The page offers a camera input: allow the camera for this site only.
        add_header Permissions-Policy "camera=(self), microphone=(), geolocation=(), payment=(), usb=()" always;

        proxy_http_version 1.1;
        proxy_set_header Host \$http_host;  # Streamlit checks Origin against Host
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;

        location / {
            proxy_set_header Connection "";  # keepalive to the replicas
            proxy_pass http://\$backend;
        }

        location = /_stcore/stream {
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 86400s;  # an idle websocket stays open all lesson
            proxy_send_timeout 86400s;
            proxy_buffering off;
            proxy_pass http://\$backend;
        }
    }
}
EOF

# Wait until every replica answers its health check (or one exits).
deadline=$(( SECONDS + START_TIMEOUT_S ))
for i in $(seq 1 "$N"); do
    port=$(( PORT + i ))
    until "$PYTHON" -c "import sys, urllib.request
try:
    sys.exit(urllib.request.urlopen('http://127.0.0.1:$port/_stcore/health', timeout=2).read() != b'ok')
except OSError:
    sys.exit(1)" 2>/dev/null; do
        if ! kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null; then
            echo "replica $i exited during start-up; end of its log:" >&2
            tail -n 30 "$RUN_DIR/replica-$i.log" >&2
            exit 1
        fi
        if (( SECONDS > deadline )); then
            echo "replica $i not healthy after ${START_TIMEOUT_S} s" >&2
            exit 1
        fi
        sleep 0.5
    done
done

"$NGINX" -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf" &
PIDS=("$!" "${PIDS[@]}")  # nginx is stopped first
echo "nginx: pid $! config $RUN_DIR/nginx.conf"
echo "serving http://$LISTEN:$PORT with $N replica(s); Ctrl-C stops everything"

# Wait for any child to exit (bash runs the traps as soon as a signal arrives
# during `wait`); then stop the rest.
set +e
wait -n
status=$?
echo "a process exited (status $status): stopping all" >&2
exit "$status"
