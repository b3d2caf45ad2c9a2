"""Documents: ReportLab layouts and the service that keeps generated PDFs in the database."""
