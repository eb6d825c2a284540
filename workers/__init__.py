"""The newsingest pipeline: records, stages and the Redis structures they share."""
