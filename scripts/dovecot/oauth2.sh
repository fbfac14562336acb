#!/usr/bin/env bash
# The throwaway Dovecot's OAuth2 variant (tests/processes.py: Dovecot(oauth2_introspection_url=...);
# scripts/dovecot/start.sh --oauth2 URL): besides the test password, the user may sign in with
# XOAUTH2 (or OAUTHBEARER) and a bearer token, which Dovecot checks on every sign-in by posting it
# to the token server's introspection endpoint (RFC 7662, `introspection_mode = post`), as Exchange
# Online checks an Entra ID token. Writes DIR/oauth2.conf, which dovecot.conf includes:
#   scripts/dovecot/oauth2.sh DIR INTROSPECTION_URL
# The answer must be {"active": true, "username": "<the IMAP user>"}; anything else refuses.
set -euo pipefail
dir="$1"
introspection_url="$2"
cat > "$dir/oauth2.conf.ext" <<EXT
introspection_mode = post
introspection_url = $introspection_url
# Without a tokeninfo_url every sign-in asks the introspection endpoint; "active" must be true.
force_introspection = yes
active_attribute = active
active_value = true
username_attribute = username
timeout_msecs = 5000
EXT
cat > "$dir/oauth2.conf" <<CONF
auth_mechanisms = plain login xoauth2 oauthbearer
# Before the password file, and only for the token mechanisms: a refused or unverifiable token is
# the answer, never compared with the test password.
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/oauth2.conf.ext
  result_failure = return-fail
  result_internalfail = return-fail
}
CONF
chmod 644 "$dir/oauth2.conf" "$dir/oauth2.conf.ext"
