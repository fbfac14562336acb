from django.apps import AppConfig


class DetainersConfig(AppConfig):
    name = "detainers"
    verbose_name = "Detainer requests"

    def ready(self) -> None:
        # Fail closed at start-up: an unknown FILING_PROFILE must not wait for the first filing.
        from detainers.counting.filing_profiles import filing_profile

        filing_profile()
