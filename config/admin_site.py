"""The admin site: what admins do first (precincts, fax numbers, people, integration tokens), then
the rest of the app, and the libraries' own tables last. Installed by config.apps.AdminConfig."""

from django.contrib import admin

# App labels and model names in the order an admin needs them; anything not named follows, as
# Django sorts it (alphabetically).
APP_ORDER = ["precincts", "accounts", "detainers"]
MODEL_ORDER = ["Precinct", "FaxNumber", "KnownSender", "User", "ApiToken", "SignInEvent"]


def _position(order: list[str], name: str) -> int:
    return order.index(name) if name in order else len(order)


class DeskAdminSite(admin.AdminSite):
    site_header = "Detainer Desk administration"
    site_title = "Detainer Desk"
    index_title = "Precincts, fax numbers, people and integration tokens"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)  # sorted by name: kept within equal places
        apps.sort(key=lambda app: _position(APP_ORDER, app["app_label"]))
        for app in apps:
            app["models"].sort(key=lambda model: _position(MODEL_ORDER, model["object_name"]))
        return apps
