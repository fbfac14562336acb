from django.urls import path

from precincts import api

urlpatterns = [
    path("precincts/", api.PrecinctList.as_view(), name="api-precincts"),
    path("fax-numbers/", api.FaxNumberCreate.as_view(), name="api-fax-numbers"),
    path("fax-numbers/resolve/", api.FaxNumberResolve.as_view(), name="api-fax-number-resolve"),
    path(
        "fax-numbers/<int:pk>/retire/", api.FaxNumberRetire.as_view(), name="api-fax-number-retire"
    ),
]
