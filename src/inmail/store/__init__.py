"""Storage: tables, engine set-up, transactions, queries and migrations."""
