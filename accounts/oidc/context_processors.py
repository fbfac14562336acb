from django.conf import settings


def sign_in_options(request):
    """What the login page offers: single sign-on (when OIDC_ISSUER is set) and the password form.

    Read from settings at every render, never from the provider: the login page shows even when
    the provider is down."""
    return {
        "sign_in": {
            "sso": bool(settings.OIDC_ISSUER),
            "sso_name": settings.OIDC_NAME,
            "local_login": settings.LOCAL_LOGIN,
        }
    }
