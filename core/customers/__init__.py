"""The customer's own account: what they see of it (`accounts`: plan, cycle, status, usage,
invoices), their requests to customer service and what support did for them
(`customer_desk`), and the cleaning of the messages they write (`messages`)."""
