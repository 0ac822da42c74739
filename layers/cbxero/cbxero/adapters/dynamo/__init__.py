"""DynamoDB repositories, one module each; each takes its client and table name, and key names
come from cbxero.keys. The shared pieces are in `table`. The classes are named here too, so
`from cbxero.adapters.dynamo import DynamoTaskRepository` keeps working."""

from cbxero.adapters.dynamo.action_log import DynamoActionLog
from cbxero.adapters.dynamo.connections import DynamoConnectionRepository
from cbxero.adapters.dynamo.consent import DynamoOAuthStateStore, DynamoPendingGrantStore
from cbxero.adapters.dynamo.links import DynamoCustomerLinkRepository
from cbxero.adapters.dynamo.mappings import DynamoProductMappingRepository
from cbxero.adapters.dynamo.organisation import (
    DynamoOrganisationDirectory,
    DynamoOrganisationRecord,
    DynamoPollCursors,
)
from cbxero.adapters.dynamo.settings import DynamoSettingsRepository
from cbxero.adapters.dynamo.table import from_item, to_item
from cbxero.adapters.dynamo.tasks import DynamoTaskRepository

__all__ = [
    "DynamoActionLog",
    "DynamoConnectionRepository",
    "DynamoCustomerLinkRepository",
    "DynamoOAuthStateStore",
    "DynamoOrganisationDirectory",
    "DynamoOrganisationRecord",
    "DynamoPendingGrantStore",
    "DynamoPollCursors",
    "DynamoProductMappingRepository",
    "DynamoSettingsRepository",
    "DynamoTaskRepository",
    "from_item",
    "to_item",
]
