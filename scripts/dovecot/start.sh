#!/usr/bin/env bash
# Starts a throwaway Dovecot by hand (for `make run` with a mailbox, or trying the ingester):
#   scripts/dovecot/start.sh [--prefixed] [--tls] [--oauth2 INTROSPECTION_URL] [PORT]
#     -> prints the CENTRAL_MAILBOX_URL to use and how to stop it.
#   --prefixed  every folder under "INBOX." with "." between levels (as Courier and Cyrus keep them):
#               the reader files read mail in INBOX.Processed and INBOX.Quarantine.
#   --tls       implicit TLS only (993-style, ssl = required) with a certificate from a private CA
#               made for this server (scripts/dovecot/certificate.sh); prints the SSL_CERT_FILE to set.
#   --oauth2 URL  the user may also sign in with XOAUTH2 and a bearer token, checked at this
#               OAuth2 introspection endpoint (scripts/dovecot/oauth2.sh); CENTRAL_MAILBOX_URL then
#               names no password, and MAILBOX_OAUTH2_* point at that token server.
# Test mail only: 127.0.0.1, a fixed test password, mail under a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="" separator="/" tls="" introspection_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefixed) prefix="INBOX." separator="."; shift ;;
    --tls) tls=1; shift ;;
    --oauth2) introspection_url="$2"; shift 2 ;;
    *) break ;;
  esac
done
port="${1:-14143}"
"$here/install.sh"
dir="$(mktemp -d /tmp/detainer-dovecot-XXXXXX)"
chmod 755 "$dir"
user=detainer-mail
[ "$(id -u)" -eq 0 ] || user="$(id -un)"
group="$(id -gn "$user")"
mkdir -p "$dir/mail" "$dir/home"
chown "$user:$group" "$dir/mail" "$dir/home"
echo 'detainers:{PLAIN}imap-test-password::::::' > "$dir/users"
chmod 644 "$dir/users"
if [ -n "$tls" ]; then
  "$here/certificate.sh" "$dir"
  ssl=required imap_port=0 imaps_port="$port" scheme=imaps
else
  ssl=no imap_port="$port" imaps_port=0 scheme=imap
fi
[ -z "$introspection_url" ] || "$here/oauth2.sh" "$dir" "$introspection_url"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@USER@#$user#g" -e "s#@GROUP@#$group#g" \
  -e "s#@SSL@#$ssl#g" -e "s#@IMAP_PORT@#$imap_port#g" -e "s#@IMAPS_PORT@#$imaps_port#g" \
  -e "s#@PREFIX@#$prefix#g" -e "s#@SEPARATOR@#$separator#g" \
  "$here/dovecot.conf.template" > "$dir/dovecot.conf"
dovecot -c "$dir/dovecot.conf"
if [ -n "$introspection_url" ]; then
  echo "CENTRAL_MAILBOX_URL=$scheme://detainers@127.0.0.1:$port/INBOX"
else
  echo "CENTRAL_MAILBOX_URL=$scheme://detainers:imap-test-password@127.0.0.1:$port/INBOX"
fi
[ -z "$tls" ] || echo "SSL_CERT_FILE=$dir/tls/ca.pem"
echo "stop it with: doveadm -c $dir/dovecot.conf stop && rm -rf $dir"
