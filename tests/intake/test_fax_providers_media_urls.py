"""Which document addresses a provider's event may make us fetch (media_fetch.media_url_allowed):
only those under an allowed prefix, without the tricks that make a URL look so while it is not."""

import pytest

from detainers.intake.media_fetch import media_url_allowed

ALLOWED = ["https://media.provider.example/faxes/", "http://127.0.0.1:9000/"]


@pytest.mark.parametrize(
    "url",
    [
        "https://media.provider.example/faxes/abc.pdf",
        "https://media.provider.example/faxes/2026/12/abc.pdf?X-Amz-Signature=00ff",
        "http://127.0.0.1:9000/anything.tif",
    ],
)
def test_it_allows_what_is_under_a_prefix(url):
    assert media_url_allowed(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "https://media.provider.example/other/abc.pdf",  # beside the prefix
        "https://media.provider.example/faxes/../other/abc.pdf",  # climbs out of it
        "https://media.provider.example/faxes/%2e%2e/other/abc.pdf",  # the same, encoded
        "https://media.provider.example/faxes/./abc.pdf",
        "https://media.provider.example@evil.example/faxes/abc.pdf",  # a user name, then a host
        "http://127.0.0.1:9000@evil.example/abc.pdf",
        "http://127.0.0.1:90001/abc.pdf",  # another port that starts the same
        "https://media.provider.example/faxes/a\\..\\b.pdf",
        "https://media.provider.example/faxes/a b.pdf",
        "file:///etc/passwd",
        "ftp://127.0.0.1:9000/abc.pdf",
        "http://[::1/abc.pdf",  # unreadable
        "http://127.0.0.1:9000:1/abc.pdf",
        "",
    ],
)
def test_it_refuses_everything_else(url):
    assert not media_url_allowed(url, ALLOWED)


def test_nothing_is_allowed_while_no_prefix_is_set():
    assert not media_url_allowed("https://media.provider.example/faxes/abc.pdf", [])
