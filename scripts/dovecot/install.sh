#!/usr/bin/env bash
# Installs what the throwaway test Dovecot needs: Debian's dovecot-imapd and the system user that owns
# its mail. Starts nothing: the test suite (tests/processes.py: Dovecot) and the mailbox benchmark
# start their own instance on a free loopback port; scripts/dovecot/start.sh starts one by hand.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then
  apt-get update -qq
  apt-get install -y -qq dovecot-imapd >/dev/null
fi
# Dovecot refuses to run mail processes as root; this user owns the test mail.
if ! id -u detainer-mail >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin detainer-mail
fi
