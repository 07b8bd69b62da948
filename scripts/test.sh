#!/usr/bin/env bash
# Set up a virtualenv with the test tools, lint, and run every test on
# SQLite; then run the functional tests (and the migration tests) again on
# a throwaway PostgreSQL cluster (tests/pg.py: initdb in a temp dir,
# 127.0.0.1, a free port), and the functional tests on a throwaway MariaDB
# server (tests/mysql.py: mariadb-install-db, the same way).
#
#   scripts/test.sh [--with-postgresql | --without-postgresql]
#                   [--with-mariadb | --without-mariadb] [pytest args]
#
# The PostgreSQL pass runs when the PostgreSQL server binaries (initdb,
# pg_ctl; on PATH or in /usr/lib/postgresql/*/bin) are installed, and is
# skipped with a note when they are not. --with-postgresql (or
# SORA_TEST_POSTGRESQL=1) makes it required: no binaries is an error.
# --without-postgresql (or SORA_TEST_POSTGRESQL=0) skips it.
# With pytest arguments (e.g. scripts/test.sh tests/unit -x) only those run
# on SQLite, and again on PostgreSQL only with --with-postgresql.
# The MariaDB pass is the same with mariadbd and mariadb-install-db,
# --with-mariadb / --without-mariadb and SORA_TEST_MARIADB.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SORA_VENV:-.venv}
# pytest-xdist workers on SQLite (SORA_TEST_WORKERS) and on a server
# database (SORA_TEST_DB_WORKERS). On 2 cores a functional test on SQLite
# spends a third of its time waiting for the servers it starts: 3 workers
# ran that pass in 353-368 s where 2 took 377. With PostgreSQL or MariaDB
# on the same cores, 3 were slower than 2 (405 s against 386, 439 against
# 400), the database server needing the CPU.
WORKERS=${SORA_TEST_WORKERS:-3}
DB_WORKERS=${SORA_TEST_DB_WORKERS:-2}
POSTGRESQL=${SORA_TEST_POSTGRESQL:-auto}
MARIADB=${SORA_TEST_MARIADB:-auto}
ARGS=()
for arg in "$@"; do
    case "$arg" in
        --with-postgresql) POSTGRESQL=1 ;;
        --without-postgresql) POSTGRESQL=0 ;;
        --with-mariadb) MARIADB=1 ;;
        --without-mariadb) MARIADB=0 ;;
        *) ARGS+=("$arg") ;;
    esac
done

if [ ! -x "$VENV/bin/pytest" ] || [ setup.py -nt "$VENV/.installed-test" ] \
        || [ requirements.txt -nt "$VENV/.installed-test" ] \
        || [ test-requirements.txt -nt "$VENV/.installed-test" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e . -r test-requirements.txt
    touch "$VENV/.installed-test"
fi

"$VENV/bin/ruff" check .

have_postgresql() {
    "$VENV/bin/python" -c 'import sys, tests.pg; sys.exit(not tests.pg.bindir())'
}

case "$POSTGRESQL" in
    1|yes|true)
        if ! have_postgresql; then
            echo "test.sh: PostgreSQL asked for but initdb/pg_ctl not found;" \
                 "install the postgresql package" >&2
            exit 1
        fi ;;
    auto)
        if [ ${#ARGS[@]} -gt 0 ]; then
            POSTGRESQL=0
        elif have_postgresql; then
            POSTGRESQL=1
        else
            echo "test.sh: no PostgreSQL binaries; the PostgreSQL pass is" \
                 "skipped (install postgresql, or see docs/postgresql.md)"
            POSTGRESQL=0
        fi ;;
    *) POSTGRESQL=0 ;;
esac

have_mariadb() {
    "$VENV/bin/python" -c 'import sys, tests.mysql; sys.exit(not tests.mysql.available())'
}

case "$MARIADB" in
    1|yes|true)
        if ! have_mariadb; then
            echo "test.sh: MariaDB asked for but mariadbd/mariadb-install-db" \
                 "not found; install the mariadb-server package" >&2
            exit 1
        fi ;;
    auto)
        if [ ${#ARGS[@]} -gt 0 ]; then
            MARIADB=0
        elif have_mariadb; then
            MARIADB=1
        else
            echo "test.sh: no MariaDB binaries; the MariaDB pass is skipped" \
                 "(install mariadb-server)"
            MARIADB=0
        fi ;;
    *) MARIADB=0 ;;
esac

echo "== tests on SQLite"
"$VENV/bin/pytest" -n "$WORKERS" "${ARGS[@]}"

# Without arguments: the functional tests on each server database, and on
# PostgreSQL also the database tests that upgrade a database of an earlier
# release (tests/unit/db, whose migration tests need one). Tests marked
# database_independent (pytest.ini) ran in the SQLite pass and would run
# the same again: left out.
if [ "$POSTGRESQL" = 1 ]; then
    echo "== functional and migration tests on PostgreSQL"
    PASS_ARGS=("${ARGS[@]}")
    if [ ${#PASS_ARGS[@]} -eq 0 ]; then
        PASS_ARGS=(-m "not database_independent" tests/functional
                   tests/unit/db)
    fi
    "$VENV/bin/python" -m tests.pg run -- "$VENV/bin/pytest" -n "$DB_WORKERS" \
        "${PASS_ARGS[@]}"
fi

if [ "$MARIADB" = 1 ]; then
    echo "== functional tests on MariaDB"
    PASS_ARGS=("${ARGS[@]}")
    if [ ${#PASS_ARGS[@]} -eq 0 ]; then
        PASS_ARGS=(-m "not database_independent" tests/functional)
    fi
    "$VENV/bin/python" -m tests.mysql run -- "$VENV/bin/pytest" -n "$DB_WORKERS" \
        "${PASS_ARGS[@]}"
fi
