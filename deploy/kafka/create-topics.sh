#!/bin/bash
# Creates Hotline's topics once the broker answers. Retention is unlimited on the event
# topics: the search index is rebuilt by replaying them from the beginning.
set -euo pipefail
BOOTSTRAP=${BOOTSTRAP:-kafka:9092}
PARTITIONS=${PARTITIONS:-6}
topics=/opt/kafka/bin/kafka-topics.sh
for topic in hotline.tickets hotline.assignments hotline.feedback hotline.sessions; do
  $topics --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$topic" \
    --partitions "$PARTITIONS" --replication-factor 1 \
    --config retention.ms=-1 --config min.insync.replicas=1
  $topics --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$topic.dlq" \
    --partitions 1 --replication-factor 1 --config retention.ms=2592000000
done
echo "topics ready"
