"""Read-only queries and exports over the event history; nothing here ever writes."""
