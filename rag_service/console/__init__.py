"""The librarian's web console at /console: corpus and audit log, ingest and status changes, a search playground
with the cited page rendered and the passage highlighted. Served by the API app (`signin.install`)."""
