"""`make bench`: throughput, CPU, AWS requests, files, memory and cost of the pipeline's handlers."""
