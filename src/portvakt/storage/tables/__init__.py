"""The relational schema, one module per area, all on one `metadata` (the Alembic target)."""

from portvakt.storage.tables import altinn as altinn
from portvakt.storage.tables import audit as audit
from portvakt.storage.tables import idporten as idporten
from portvakt.storage.tables import keys as keys
from portvakt.storage.tables import krr as krr
from portvakt.storage.tables import lookup_audit as lookup_audit
from portvakt.storage.tables import platform as platform
from portvakt.storage.tables import population as population
from portvakt.storage.tables import portal as portal
from portvakt.storage.tables import registry as registry
from portvakt.storage.tables import rrh as rrh
from portvakt.storage.tables import testca as testca
from portvakt.storage.tables import totalbestand as totalbestand
from portvakt.storage.tables.base import metadata as metadata

__all__ = ["metadata"]
