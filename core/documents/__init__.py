"""The PDFs the portal makes, drawn without a browser: the account report (`report`, with its
data read by `report_data` and its charts drawn by `pdf_charts`), invoices (`invoices`) and the
cancellation receipt (`receipt`), on one font chain and page layout (`pdf`)."""
