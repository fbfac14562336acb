"""The second factor for local sign-in: a TOTP authenticator app, and one-use recovery codes.

policy: who must give one, and whether this request's session has. services: enrolment,
verification and an admin's reset, each with its sign-in event. middleware and views: the edges.
"""
