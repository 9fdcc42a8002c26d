"""Amazon SQS: queue semantics in the core (no I/O), and the wire protocols around it."""
