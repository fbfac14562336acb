from django.apps import AppConfig


class DetainersConfig(AppConfig):
    name = "detainers"
    verbose_name = "Detainer requests"
