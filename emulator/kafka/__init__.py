"""Kafka for the emulator: a real broker (Redpanda, Apache Kafka on the JVM, or an external one),
started and stopped with the emulator, plus the topic admin that resets it between tests."""
