#!/bin/sh
# Starts coturn with the shared TURN secret from the environment (deploy/.env), written into
# a private copy of the configuration: the secret is neither in the repository nor in the
# process's arguments. Outside the container (tests/unit/deploy/test_coturn_config.py),
# TURN_CONFIG names the configuration to copy and TMPDIR where the copy goes; arguments are
# passed on to turnserver, whose command line overrides the file.
set -eu
: "${ODR_RTC_TURN_SECRET:?ODR_RTC_TURN_SECRET is not set (deploy/.env)}"
conf="${TMPDIR:-/tmp}/turnserver.conf"
umask 077
cp "${TURN_CONFIG:-/etc/coturn/turnserver.conf}" "$conf"
printf 'static-auth-secret=%s\n' "$ODR_RTC_TURN_SECRET" >> "$conf"
if [ -n "${TURN_REALM:-}" ]; then
    printf 'realm=%s\n' "$TURN_REALM" >> "$conf"
fi
# Behind NAT: the public address given to clients (public or public/private).
if [ -n "${TURN_EXTERNAL_IP:-}" ]; then
    printf 'external-ip=%s\n' "$TURN_EXTERNAL_IP" >> "$conf"
fi
exec turnserver -c "$conf" "$@"
