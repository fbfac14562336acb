"""Single sign-on with OpenID Connect (settings OIDC_*; README "Sign-in"; docs/deploy.md).

- provider.py: the one module that talks to the provider (Authlib): discovery, the redirect, the
  code exchange, the ID token's verification, the end-session URL.
- claims.py: what a verified set of claims says: roles, precinct code, user name.
- services.py: an account from claims, created at the first sign-in and brought in line with the
  claims at every one after, with the sign-in record.
- views.py, urls.py: /oidc/start/, /oidc/callback/ and the logout that ends the provider's session.
- backend.py: the authentication backend that names sessions started by sign-on.
"""
