// The start-up baseline: an empty Node 24 script.
