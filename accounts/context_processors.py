from accounts.access import Role, roles_of


def roles(request):
    """Navigation by role: templates test `nav.supervisor` and the like."""
    held = roles_of(getattr(request, "user", None))
    return {
        "nav": {
            "clerk": Role.CLERK in held,
            "supervisor": Role.SUPERVISOR in held,
            "admin": Role.ADMIN in held,
        }
    }
