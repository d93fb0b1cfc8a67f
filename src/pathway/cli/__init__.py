"""The command line: parse, call a service, print. No business rules live here."""
