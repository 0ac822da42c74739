"""Table key and index names, defined once for the code, the local stack and the tests.

template.yaml declares the same names; tests/unit/test_template.py keeps the two in step.
"""

from enum import StrEnum

PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expires_at"


class Table(StrEnum):
    """Logical ids of the tables in template.yaml, and the variable naming each at run time."""

    TOKENS = "TokensTable"
    RESELLERS = "ResellersTable"
    MAPPINGS = "MappingsTable"
    TASKS = "TasksTable"
    ACTION_LOG = "ActionLogTable"
    RATE_LIMITS = "RateLimitsTable"


class Index(StrEnum):
    RESELLERS_BY_AUTO_SYNC = "by-auto-sync"
    AUTO_SYNC_CUSTOMERS = "auto-sync-customers"
    MAPPINGS_BY_XERO_ITEM = "by-xero-item"
    LINKS_BY_XERO_CONTACT = "by-xero-contact"
    ORGANISATIONS = "by-organisation"
    TASKS_BY_STATUS = "by-status"
    TASKS_BY_CREATION = "by-creation"
    OPEN_TASKS_BY_CUSTOMER = "open-by-customer"
    TASKS_DUE_FOR_RETRY = "retry-due"
    TASKS_BY_DOCUMENT = "by-document"
    ENTRIES_BY_ID = "by-entry"
    UNREAD_ENTRIES = "unread"


# Attribute names that index keys are made of.
AUTO_SYNC = "auto_sync"
AUTO_SYNC_RESELLER = "auto_sync_reseller"
XERO_ITEM_KEY = "xero_item_key"
XERO_CONTACT_KEY = "xero_contact_key"  # reseller#contact id while a customer is linked to it
STATUS_KEY = "status_key"
CREATED_AT = "created_at"
OPEN_KEY = "open_key"  # reseller#customer while a task is not final
RETRY_SHARD = "retry_shard"  # one value, present while a task has a retry time
RETRY_AT = "retry_at"
ORGANISATION_SHARD = "organisation_shard"  # one value, on each reseller's organisation record
TENANT_KEY = "tenant_key"  # tenant id#reseller: a reseller found from its Xero organisation
DOCUMENT_KEY = "document_key"  # reseller#Xero document id while a task holds a document
ENTRY_KEY = "entry_key"  # reseller#entry id, to find one Action Log entry
UNREAD_KEY = "unread_reseller"  # present while an entry is unread (a notification)

# (table, index) -> (partition attribute, sort attribute)
INDEX_KEYS: dict[tuple[Table, Index], tuple[str, str]] = {
    (Table.RESELLERS, Index.RESELLERS_BY_AUTO_SYNC): (AUTO_SYNC, PK),
    (Table.MAPPINGS, Index.AUTO_SYNC_CUSTOMERS): (AUTO_SYNC_RESELLER, SK),
    (Table.MAPPINGS, Index.MAPPINGS_BY_XERO_ITEM): (XERO_ITEM_KEY, SK),
    (Table.MAPPINGS, Index.LINKS_BY_XERO_CONTACT): (XERO_CONTACT_KEY, SK),
    (Table.MAPPINGS, Index.ORGANISATIONS): (ORGANISATION_SHARD, TENANT_KEY),
    (Table.TASKS, Index.TASKS_BY_STATUS): (STATUS_KEY, CREATED_AT),
    (Table.TASKS, Index.TASKS_BY_CREATION): (PK, CREATED_AT),
    (Table.TASKS, Index.OPEN_TASKS_BY_CUSTOMER): (OPEN_KEY, CREATED_AT),
    (Table.TASKS, Index.TASKS_DUE_FOR_RETRY): (RETRY_SHARD, RETRY_AT),
    (Table.TASKS, Index.TASKS_BY_DOCUMENT): (DOCUMENT_KEY, CREATED_AT),
    (Table.ACTION_LOG, Index.ENTRIES_BY_ID): (ENTRY_KEY, SK),
    (Table.ACTION_LOG, Index.UNREAD_ENTRIES): (UNREAD_KEY, SK),
}

TABLES_WITH_TTL = frozenset({Table.TOKENS, Table.ACTION_LOG, Table.RATE_LIMITS})
