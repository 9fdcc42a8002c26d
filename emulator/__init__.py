"""cloudtwin: a local twin of Amazon SQS, ElastiCache for Redis and MSK/Kafka."""

__version__ = "0.1.0"
