"""`make bench`: depot's throughput, latency and CPU cost against same-run floors."""
