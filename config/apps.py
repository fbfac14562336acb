from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with the site of config.admin_site (INSTALLED_APPS names this)."""

    default_site = "config.admin_site.DeskAdminSite"
