"""The worker's use case: customers' new orders become sync tasks, and tasks become Xero documents.

A run has two steps. `check_changes` (per customer) records one task per new order and then
moves the customer's cursor. `process` (per reseller, for every customer of the run at once)
claims the due tasks and takes them through the stages, one module each, in this order
(`pipeline.sync`):

0. `guard`: what Xero changed under the batch (a contact archived or merged, an item deleted
   or no longer sold, a currency not enabled) holds the task with the action to take;
1. `plan`: the order, its documents under the settings and mappings, the customer's contact;
2. `reconcile`: a task that may have reached Xero before adopts what Xero already has;
3. `invoices`: charges onto the customer's latest editable invoice, or new invoices;
4. `credit_notes`: refunds as credit notes, their credit applied to the invoice;
5. `finish`: the totals verdict; each task ends synced or waiting, and is told to the Action Log.

Documents go to Xero up to 50 to a call. The stages hand each other immutable `work.Work`
values; what a run must remember whatever happens (which tasks are open, which went out in a
write, how each ended) is the run's `ledger.Ledger`. `engine.CustomerSync` is the entry.

Exactly once, in three parts:
- a task is claimed (processing, with a lease) before any Xero call, and finished after;
- every write carries an Idempotency-Key derived from what it writes, so a retried call is
  answered with the first call's result;
- a task taken up again after it may have reached Xero is first looked for in Xero by its order
  number (invoices and credit notes carry it in Reference), and is not made twice. Lines added
  to an invoice that collects orders also carry the order's mark, and the invoice is recorded on
  the task before the call: the look-up reads that invoice's lines for the mark, and the totals
  check counts those lines only.

A failure while processing one reseller (the task store, the token) stays inside it: its claims
are released, its tasks wait with a retry time the retry sweep honours, and the outcome names it
so that the worker reports only its jobs as failed.
"""

from cbxero.services.sync.engine import (
    FIRST_LOOK_BACK,
    TASKS_PER_RUN,
    CustomerSync,
    SyncOutcome,
)

__all__ = ["FIRST_LOOK_BACK", "TASKS_PER_RUN", "CustomerSync", "SyncOutcome"]
