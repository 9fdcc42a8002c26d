"""A failing test that used Kafka fixtures shows its topics' end offsets under the failure."""

from __future__ import annotations

import re

pytest_plugins = ["pytester"]


def test_a_failing_test_shows_its_topics_end_offsets(pytester, kafka_bootstrap):
    pytester.makepyfile(
        test_orders="""
        def test_orders(kafka_topic_factory, kafka_producer):
            topic = kafka_topic_factory(partitions=2)
            producer = kafka_producer()
            for partition, count in ((0, 3), (1, 1)):
                for n in range(count):
                    producer.send(topic, value=b"order", partition=partition)
            producer.flush()
            print("TOPIC", topic)
            assert False, "the consumer never saw the orders"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", f"--cloudtwin-kafka=external={kafka_bootstrap}")
    result.assert_outcomes(failed=1)
    topic = next(line.split()[1] for line in result.outlines if line.startswith("TOPIC "))
    text = "\n".join(result.outlines)
    assert re.search(rf"Kafka topics:\n\s+{topic}\s+end offsets p0=3, p1=1", text), text
