#!/bin/bash
# Creates Hotline's topics once the broker answers, as the services themselves would
# (services/common/bus/kafka.py ensure_topics): every topic and its dead-letter topic with
# the same partitions, and unlimited retention by default, because the search index is
# rebuilt by replaying the topics from the beginning. Keep PARTITIONS equal to the
# services' HOTLINE_KAFKA_PARTITIONS and RETENTION_MS to HOTLINE_KAFKA_RETENTION_MS.
set -euo pipefail
BOOTSTRAP=${BOOTSTRAP:-kafka:9092}
PARTITIONS=${PARTITIONS:-6}
RETENTION_MS=${RETENTION_MS:--1}
topics=/opt/kafka/bin/kafka-topics.sh
for topic in hotline.tickets hotline.assignments hotline.feedback hotline.sessions hotline.audit hotline.insights; do
  for name in "$topic" "$topic.dlq"; do
    $topics --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$name" \
      --partitions "$PARTITIONS" --replication-factor 1 \
      --config retention.ms="$RETENTION_MS" --config min.insync.replicas=1
  done
done
echo "topics ready"
