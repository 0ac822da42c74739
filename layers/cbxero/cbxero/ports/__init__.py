"""The ports: what the services need from storage, queues and the two external systems.

Adapters in cbxero.adapters implement them against AWS and HTTP; the unit tests use fakes.
"""

from cbxero.ports.marketplace import Marketplace
from cbxero.ports.records import (
    ActionLog,
    ConnectionRepository,
    CustomerLinkRepository,
    DriftRecords,
    HistoryRecord,
    OAuthStateStore,
    OrganisationDirectory,
    OrganisationRecord,
    PendingGrantStore,
    PollCursors,
    ProductMappingRepository,
    SettingsRepository,
    TaskFigures,
    TaskRepository,
    TokenCipher,
)
from cbxero.ports.runtime import (
    Budget,
    Clock,
    DueReseller,
    JobQueue,
    Permit,
    RateGovernor,
    SyncJob,
    XeroEventQueue,
)
from cbxero.ports.xero import (
    XeroAccounting,
    XeroAuthorizer,
    XeroChanges,
)

__all__ = [
    "ActionLog",
    "Budget",
    "Clock",
    "ConnectionRepository",
    "CustomerLinkRepository",
    "DriftRecords",
    "DueReseller",
    "HistoryRecord",
    "JobQueue",
    "Marketplace",
    "OAuthStateStore",
    "OrganisationDirectory",
    "OrganisationRecord",
    "PendingGrantStore",
    "Permit",
    "PollCursors",
    "ProductMappingRepository",
    "RateGovernor",
    "SettingsRepository",
    "SyncJob",
    "TaskFigures",
    "TaskRepository",
    "TokenCipher",
    "XeroAccounting",
    "XeroAuthorizer",
    "XeroChanges",
    "XeroEventQueue",
]
