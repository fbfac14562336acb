"""The admin's first page shows what admins do first; integration tokens come with setup steps for a
fax gateway; and dates read one way everywhere (2026-12-07 14:05)."""

import re

import pytest
from django.template import Context, Template
from django.utils import formats

from tests.conftest import local

pytestmark = pytest.mark.django_db

TOKENS = "/admin/accounts/apitoken/"


@pytest.fixture(autouse=True)
def _boston_time(settings):
    settings.TIME_ZONE = "America/New_York"


def test_the_index_lists_the_apps_own_tables_first_and_the_libraries_last(page_as, b3):
    apps = page_as("admin").get("/admin/").context["app_list"]
    labels = [app["app_label"] for app in apps]
    assert labels[:3] == ["precincts", "accounts", "detainers"]
    assert set(labels[3:]) == {"auth", "axes"}  # the libraries' own tables
    models = {app["app_label"]: [model["object_name"] for model in app["models"]] for app in apps}
    assert models["precincts"][:2] == ["Precinct", "FaxNumber"]
    assert models["accounts"][:2] == ["User", "ApiToken"]


def test_the_index_starts_with_what_admins_do(page_as, b3):
    content = page_as("admin").get("/admin/").content.decode()
    start = content.index('id="start-here"')
    links = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a>', content[start:])
    assert links == [
        ("/admin/precincts/precinct/", "Precincts"),
        ("/admin/precincts/faxnumber/", "Fax numbers"),
        ("/admin/accounts/user/", "People"),
        ("/admin/accounts/apitoken/", "Integration tokens"),
    ]
    assert start < content.index('class="app-axes')  # above every table
    assert (
        "<title>Precincts, fax numbers, people and integration tokens | Detainer Desk</title>"
        in content
    )
    assert "Detainer Desk administration" in content


def test_the_tokens_list_says_how_to_set_up_a_fax_gateway(page_as, settings):
    settings.SITE_URL = "https://detainers.example.gov"
    content = page_as("admin").get(TOKENS).content.decode()
    setup = content[content.index('id="gateway-setup"') :]
    assert "DETAINER_DESK_URL=https://detainers.example.gov" in setup
    assert "DETAINER_DESK_TOKEN=&lt;the key&gt;" in setup
    assert "POST https://detainers.example.gov/api/v1/faxes/" in setup
    assert "contrib/hylafax/FaxDispatch" in setup and "contrib/asterisk/" in setup


def test_a_new_tokens_page_fills_the_key_into_the_setup_once(page_as, gateway, settings):
    settings.SITE_URL = "https://detainers.example.gov"
    admin = page_as("admin")
    created = admin.post(
        f"{TOKENS}add/", {"user": gateway.pk, "expires_at_0": "", "expires_at_1": ""}
    )
    content = created.content.decode()
    key = re.search(r'<code class="api-token-key">([^<]+)</code>', content)[1]
    assert f"DETAINER_DESK_TOKEN={key}" in content
    assert "DETAINER_DESK_URL=https://detainers.example.gov" in content
    assert key not in admin.get(TOKENS).content.decode()


def test_dates_read_one_way_in_templates_and_the_admin(page_as, b3):
    moment = local(2026, 12, 7, 14, 5)
    shown = Template(
        "{{ moment }}|{{ moment|date }}|{{ moment.date }}|{{ moment|date:'SHORT_DATETIME_FORMAT' }}"
    )
    assert shown.render(Context({"moment": moment})) == (
        "2026-12-07 14:05|2026-12-07|2026-12-07|2026-12-07 14:05"
    )
    assert formats.localize(moment) == "2026-12-07 14:05"
    listing = page_as("admin").get("/admin/precincts/faxnumber/").content.decode()
    assert "2020-01-01 00:00" in listing and "Jan. 1, 2020" not in listing
