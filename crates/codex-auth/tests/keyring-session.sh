#!/bin/sh
# Runs a command with a real, unlocked Secret Service (GNOME Keyring) on a private D-Bus
# session bus, and with OAUTH_CODEX_KEYRING_TESTS=1 set, so codex-auth's keyring tests run
# against a real keyring instead of being skipped:
#
#     crates/codex-auth/tests/keyring-session.sh cargo test -p codex-auth
#
# Needs dbus-run-session and dbus-send (Debian: dbus-daemon, dbus-bin) and gnome-keyring-daemon:
#
#     apt-get install -y --no-install-recommends dbus-daemon gnome-keyring
#
# The keyring (its "login" collection, created and unlocked with a throwaway password) lives in
# a temporary directory that is removed afterwards. The user's own keyring, session bus and
# home directory are not touched. The command's exit status is this script's.
set -eu

me=keyring-session.sh

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]   (e.g. $0 cargo test -p codex-auth)" >&2
    exit 2
fi

missing=""
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "$me: not found:$missing." >&2
    echo "$me: install with: apt-get install -y --no-install-recommends dbus-daemon gnome-keyring" >&2
    exit 127
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/oauth-codex-keyring.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -m 700 "$scratch/data" "$scratch/runtime"

export OAUTH_CODEX_KEYRING_TESTS=1

status=0
dbus-run-session -- sh -c '
    me=$1 scratch=$2
    shift 2
    # A non-empty password makes gnome-keyring create the "login" collection (the default one)
    # and unlock it without asking anyone; with an empty one it wants a graphical prompt.
    # XDG_DATA_HOME and XDG_RUNTIME_DIR keep its files in the scratch directory.
    if ! printf %s oauth-codex-test-keyring |
        XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime" \
            gnome-keyring-daemon --daemonize --unlock --components=secrets >"$scratch/daemon.log" 2>&1
    then
        echo "$me: gnome-keyring-daemon did not start:" >&2
        cat "$scratch/daemon.log" >&2
        exit 1
    fi
    # The daemon claims the Secret Service name shortly after it forks. Wait for that (up to
    # 10 s): a client that came first would make D-Bus start another, locked daemon.
    tries=0
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
    do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "$me: gnome-keyring-daemon started but did not provide org.freedesktop.secrets" >&2
            cat "$scratch/daemon.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    exec "$@"
' keyring-session "$me" "$scratch" "$@" || status=$?
exit "$status"
