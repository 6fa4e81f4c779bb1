"""Court filing: the parties' requests, the package, its reliable delivery, the court's
decision (issue 7). The package format and the transport are court_export's."""
