"""The librarian's web console at /console, in Japanese from one message catalogue (`messages`), times in the
reader's zone: the corpus (filtered, sorted, paged) and the audit log as sentences, an ingest's own page with its
progress and a lasting summary (`jobs`), an edition's page with its recommendations and what changed since the edition
it supersedes (`editions`), status changes, and a search playground with the cited page rendered and the passage
highlighted. Served by the API app (`signin.install`)."""
