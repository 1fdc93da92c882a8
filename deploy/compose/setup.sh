#!/usr/bin/env bash
# Makes what the compose trial (deploy/compose.yaml) needs and must not be committed, once:
#   .local/compose/secrets.env    mpshook's secrets: database URL with its password, callback key,
#                                 NotifyKey, and the API key pair the emulator accepts (mode 0600)
#   .local/compose/postgres.env   the same database password for the postgres image
#   .local/compose/tls/           a self-signed certificate for localhost (nginx's, and the one
#                                 the emulator trusts for its callbacks)
# Nothing here is a real Tencent Cloud key. Run again: keeps what exists (delete the folder to
# start over). Needs openssl.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${MPSHOOK_COMPOSE_STATE:-$root/.local/compose}"
mkdir -p "$out/tls"
umask 077
random_token() { openssl rand -base64 "$1" | tr '+/' '-_' | tr -d '=\n'; }

if [ ! -f "$out/secrets.env" ]; then
    password="$(random_token 24)"
    {
        echo "# Made by deploy/compose/setup.sh for the compose trial; never for production."
        echo "MPSHOOK_DATABASE_URL=postgresql://mpshook:$password@postgres:5432/mpshook"
        echo "MPSHOOK_CALLBACK_KEYS=trial:$(random_token 32)"
        echo "MPSHOOK_NOTIFY_KEY=$(random_token 24)"
        echo "TENCENTCLOUD_SECRET_ID=trial-$(random_token 18)"
        echo "TENCENTCLOUD_SECRET_KEY=$(random_token 24)"
    } >"$out/secrets.env"
    echo "POSTGRES_PASSWORD=$password" >"$out/postgres.env"
fi
if [ ! -f "$out/tls/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$out/tls/key.pem" -out "$out/tls/cert.pem" 2>/dev/null
    # nginx's master reads the key as root; the emulator copies the certificate as root.
    chmod 0644 "$out/tls/cert.pem"
fi
echo "compose trial files in $out"
