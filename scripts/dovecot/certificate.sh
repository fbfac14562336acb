#!/usr/bin/env bash
# A private CA and a certificate it signs for 127.0.0.1 only ("localhost" is a wrong name for it),
# for the throwaway Dovecot's TLS variant (tests/processes.py: Dovecot(tls=True);
# scripts/dovecot/start.sh --tls):
#   scripts/dovecot/certificate.sh DIR  -> DIR/tls/ca.pem (what a client must trust, e.g. through
#   SSL_CERT_FILE), DIR/tls/server.pem and server.key, and DIR/tls.conf for dovecot.conf to include.
# Test use only: the CA's key is thrown away, so it signs nothing else.
set -euo pipefail
dir="$1"
tls="$dir/tls"
mkdir -p "$tls"
cd "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=Detainer Desk test CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
cat > server.ext <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f ca.key ca.srl server.csr server.ext
chmod 644 ca.pem server.pem
chmod 600 server.key
printf 'ssl_cert = <%s/server.pem\nssl_key = <%s/server.key\n' "$tls" "$tls" > "$dir/tls.conf"
