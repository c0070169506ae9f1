"""Request and response bodies of the teams and people API."""

from ninja import Schema

from followthrough.web.accounts.models import Person

# --- teams and people ----------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str
    is_private: bool
    lead_id: int | None
    version: int


class PersonOut(Schema):
    id: int
    name: str
    email: str
    handle: str
    manager_id: int | None
    has_login: bool
    version: int

    @staticmethod
    def resolve_has_login(obj: Person) -> bool:
        return obj.user_id is not None


class PersonRef(Schema):
    id: int
    name: str
