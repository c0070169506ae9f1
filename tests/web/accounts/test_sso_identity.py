"""An account follows the provider's subject id (`sub`), never the e-mail address.

The attack (issue 12, item 12): accounts were keyed by address, so another person given a
recycled address got the earlier person's account, and an address changed at the
provider made a second, empty account.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from conftest import Cast
from followthrough.web.accounts.models import Person

from .conftest import Configure
from .identity_provider import Provider
from .sso import DOMAIN, sign_in, signed_in_as


def test_a_recycled_address_with_a_new_subject_never_gets_the_earlier_account(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("grace@example.com", sub="00u-grace-who-left", name="Grace Hopper")
    first = Client()
    sign_in(first, provider)
    earlier = signed_in_as(first)
    assert earlier is not None

    # Grace left; the directory gave her address to a new hire, who has a new subject id.
    provider.login_as("grace@example.com", sub="00u-new-hire", name="Grace Newhire")
    second = Client()
    sign_in(second, provider)
    newcomer = signed_in_as(second)
    assert newcomer is not None and newcomer != earlier
    assert Person.objects.get(user=newcomer).name == "Grace Newhire"
    assert Person.objects.get(user=earlier).name == "Grace Hopper"


def test_an_address_changed_at_the_provider_keeps_the_account_and_updates_its_address(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("hal@example.com", sub="00u-hal")
    sign_in(Client(), provider)
    hal = User.objects.get(email="hal@example.com")
    users = User.objects.count()

    provider.login_as("hal.jones@example.com", sub="00u-hal")
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) == hal
    assert User.objects.count() == users
    hal.refresh_from_db()
    assert hal.email == "hal.jones@example.com"
    assert Person.objects.get(user=hal).email == "hal.jones@example.com"
    from followthrough.web.accounts.models import SsoIdentity

    identity = SsoIdentity.objects.get(user=hal)
    assert (identity.issuer, identity.subject) == (provider.issuer, "00u-hal")
    assert identity.email == "hal.jones@example.com"


def test_a_returning_person_is_known_by_subject_even_without_a_verified_address(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("ida@example.com", sub="00u-ida")
    sign_in(Client(), provider)
    ida = User.objects.get(email="ida@example.com")

    provider.login_as("ida@elsewhere.example.net", sub="00u-ida", verified=False)
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) == ida
    ida.refresh_from_db()
    assert ida.email == "ida@example.com"  # an unverified address is never taken


def test_the_same_subject_at_another_issuer_is_someone_else(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    from followthrough.web.accounts.models import SsoIdentity

    configure(**DOMAIN)
    other = User.objects.create_user("other-idp-jo", email="jo@other.example.com")
    SsoIdentity.objects.create(
        user=other, issuer="https://other-idp.example.com", subject="00u-jo", email=other.email
    )
    provider.login_as("jo@example.com", sub="00u-jo")
    client = Client()
    sign_in(client, provider)
    user = signed_in_as(client)
    assert user is not None and user != other
