from django.contrib.auth.backends import ModelBackend


class OidcBackend(ModelBackend):
    """The backend Django records for a session that single sign-on started.

    It never checks a credential itself (authenticate answers None to everything): the callback
    view verified the provider's ID token and calls login() with this backend. Naming it lets
    get_user load such sessions, the logout view tell them apart (to end the provider's session
    too), and the sign-in record read the method as `sso` (accounts.signin_audit).
    """

    def authenticate(self, request, **credentials):
        return None
