"""cbxero: CloudBlue Reseller Marketplace orders into Xero invoices and credit notes."""
