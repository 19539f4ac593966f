#!/usr/bin/env bash
# Shared helpers for `make run`, `make test` and `make bench`.
# Odoo is the host platform: when no Python given here imports Odoo 18.0,
# tools/bootstrap.py sets it up in a per-user cache (source from ODOO_SRC,
# a virtualenv beside it). PYTHON=... (or ODOO_PATH=<source folder>) names an
# existing Odoo instead.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OS_USER="${PG_OS_USER:-leadpipe}"
DB_ROLE="${DB_ROLE:-odoo}"

if [ -n "${ODOO_PATH:-}" ]; then
    export PYTHONPATH="${ODOO_PATH}${PYTHONPATH:+:$PYTHONPATH}"
    PYTHON="${PYTHON:-python3}"
fi

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# check_prerequisites [--tools] [--browser]: Odoo 18.0 importable by $PYTHON
# (set up by tools/bootstrap.py when needed), PostgreSQL 15, and with --browser
# a Chromium for the tours; --tools adds the test and lint tools.
check_prerequisites() {
    local python
    python="$(PYTHON="${PYTHON:-}" "${BOOTSTRAP_PYTHON:-python3}" "$PROJECT_DIR/tools/bootstrap.py" "$@")" || exit 1
    PYTHON="$python"
    export PYTHON
    "$PYTHON" "$PROJECT_DIR/tools/check_env.py" || exit 1
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN (set PG_BIN, or install Debian's postgresql-15)."
}

# Odoo's addons folders: odoo/addons (a release or nightly tree holds every
# addon there), plus the git checkout's top-level addons/ when crm lives there.
odoo_addons_path() {
    "$PYTHON" -c 'import odoo, os
base = os.path.join(os.path.dirname(odoo.__file__), "addons")
paths = [base]
if not os.path.isdir(os.path.join(base, "crm")):
    paths.append(os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons"))
print(",".join(paths))'
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Run a command as the unprivileged owner of the cluster (PostgreSQL refuses root).
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

# pg_start DIR PORT: start (creating if needed) a cluster in DIR listening on 127.0.0.1:PORT.
pg_start() {
    local dir="$1" port="$2"
    if [ "$(id -u)" = 0 ] && ! id "$PG_OS_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$PG_OS_USER" "$dir"
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
        as_pg_user "$PG_BIN/initdb" -D "$dir/pgdata" -U "$DB_ROLE" --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    if ! as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then
        as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" -l "$dir/pgdata/server.log" -w \
            -o "-p $port -k $dir/pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null || { tail -20 "$dir/pgdata/server.log" >&2; die "PostgreSQL did not start"; }
    fi
}

pg_stop() {
    local dir="$1"
    if [ -f "$dir/pgdata/PG_VERSION" ]; then
        as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" -m fast stop >/dev/null 2>&1 || true
    fi
}

# write_conf DIR PGPORT HTTPPORT: an Odoo configuration file for this cluster.
write_conf() {
    local dir="$1" pgport="$2" httpport="$3"
    mkdir -p "$dir/data"
    cat >"$dir/odoo.conf" <<CONF
[options]
db_host = 127.0.0.1
db_port = $pgport
db_user = $DB_ROLE
db_password = False
addons_path = $(odoo_addons_path),$PROJECT_DIR
data_dir = $dir/data
http_port = $httpport
http_interface = 127.0.0.1
admin_passwd = admin
CONF
}

odoo() {
    "$PYTHON" -m odoo "$@"
}

# start_nginx DIR PORT ODOO_PORT GEVENT_PORT: Debian's nginx in front of a
# multi-process Odoo: /websocket to the gevent port (live updates), the rest
# to the HTTP workers, with the forwarded headers Odoo's proxy mode reads.
start_nginx() {
    local dir="$1" port="$2" odoo_port="$3" gevent_port="$4"
    if ! command -v nginx >/dev/null; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
        else
            die "nginx is needed for WORKERS > 0: install Debian's nginx package."
        fi
    fi
    mkdir -p "$dir/nginx"
    cat >"$dir/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log $dir/nginx/access.log;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    client_max_body_size 64m;
    upstream odoo { server 127.0.0.1:$odoo_port; }
    upstream odoochat { server 127.0.0.1:$gevent_port; }
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:$port;
        proxy_read_timeout 720s;
        proxy_connect_timeout 720s;
        proxy_send_timeout 720s;
        location /websocket {
            proxy_pass http://odoochat;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Real-IP \$remote_addr;
        }
        location / {
            proxy_pass http://odoo;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_redirect off;
        }
        gzip on;
        gzip_types text/css text/scss text/plain text/xml application/xml application/json application/javascript;
    }
}
NGINX
    if [ -f "$dir/nginx/nginx.pid" ] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null; then
        nginx -c "$dir/nginx/nginx.conf" -s reload
    else
        nginx -c "$dir/nginx/nginx.conf" || die "nginx did not start; see $dir/nginx/error.log"
    fi
}

stop_nginx() {
    local dir="$1"
    if [ -f "$dir/nginx/nginx.pid" ]; then
        nginx -c "$dir/nginx/nginx.conf" -s quit 2>/dev/null || true
    fi
}

# odoo_launcher DIR: a three-line launcher script, because Odoo's multi-process
# server re-executes sys.argv[0] for its gevent (websocket) process, which
# `python -m odoo` cannot provide. Prints its path.
odoo_launcher() {
    local dir="$1"
    printf '#!/usr/bin/env python3\nimport odoo\n\nodoo.cli.main()\n' >"$dir/odoo-launcher"
    chmod +x "$dir/odoo-launcher"
    echo "$dir/odoo-launcher"
}
