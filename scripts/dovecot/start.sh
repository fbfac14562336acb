#!/usr/bin/env bash
# Starts a throwaway Dovecot by hand (for `make run` with a mailbox, or trying the ingester):
#   scripts/dovecot/start.sh [PORT]   -> prints the CENTRAL_MAILBOX_URL to use and how to stop it.
# Test mail only: plain IMAP on 127.0.0.1, a fixed test password, mail under a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
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
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@USER@#$user#g" -e "s#@GROUP@#$group#g" \
  "$here/dovecot.conf.template" > "$dir/dovecot.conf"
dovecot -c "$dir/dovecot.conf"
echo "CENTRAL_MAILBOX_URL=imap://detainers:imap-test-password@127.0.0.1:$port/INBOX"
echo "stop it with: doveadm -c $dir/dovecot.conf stop && rm -rf $dir"
