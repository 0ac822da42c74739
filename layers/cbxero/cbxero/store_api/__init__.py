"""The store UI's API, served by the Settings function: one Powertools Router per screen
(settings; customers, products and the Xero look-ups; tasks; the Action Log and notifications),
each built from the services it calls. functions/settings/app.py wires the services and
includes them in its one resolver."""
