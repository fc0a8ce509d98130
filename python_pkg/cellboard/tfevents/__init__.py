"""TensorBoard event files (``events.out.tfevents.*``): framing, protobuf codec, file writer."""
